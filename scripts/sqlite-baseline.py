#!/usr/bin/env python3
"""The SQLite baseline of scripts/bench: what a researcher would do with the
same JSON Lines corpus and the tool they already have.

    sqlite-baseline.py import DB CORPUS   load, extract, index, one durable commit
    sqlite-baseline.py query DB SPEAKER   print the statements of one speaker
                                          (the bench runs the same SQL through the
                                          sqlite3 command-line shell; see QUERY)

Import, in one transaction, journal_mode=WAL and synchronous=FULL (the commit
fsyncs the write-ahead log; closing the last connection checkpoints it into
the database file, which is fsynced too, and removes the log):

- every non-blank, non-comment line goes as it is into events(seq, line);
- statements are extracted with JSON1 into statements(seq, id, speaker, date,
  stance), the text and sources staying in the line;
- statements are indexed by (speaker, date) and by date.

The baseline does not validate references, compute a hash chain, or apply
corrections and retractions: it is the floor demarche is compared with.
"""

import sqlite3
import sys

SCHEMA = """
CREATE TABLE events(seq INTEGER PRIMARY KEY, line TEXT NOT NULL);
CREATE TABLE statements(
    seq INTEGER PRIMARY KEY REFERENCES events(seq),
    id TEXT,
    speaker TEXT NOT NULL,
    date TEXT NOT NULL,
    stance TEXT
);
"""

EXTRACT = """
INSERT INTO statements(seq, id, speaker, date, stance)
SELECT seq,
       json_extract(line, '$.id'),
       json_extract(line, '$.speaker'),
       json_extract(line, '$.date'),
       json_extract(line, '$.stance')
FROM events
WHERE json_extract(line, '$.type') = 'statement'
"""

INDEXES = """
CREATE INDEX statements_speaker ON statements(speaker, date);
CREATE INDEX statements_date ON statements(date);
"""

# The equivalent of `demarche said --by SPEAKER`: date, id, stance, text and
# sources of every statement of one speaker, in date order.
QUERY = """
SELECT s.date, s.id, s.stance,
       json_extract(e.line, '$.text'),
       json_extract(e.line, '$.sources')
FROM statements s JOIN events e ON e.seq = s.seq
WHERE s.speaker = '{speaker}'
ORDER BY s.date, s.seq;
"""


def lines(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            s = line.strip()
            if s and not s.startswith("#"):
                yield (s,)


def do_import(db, corpus):
    con = sqlite3.connect(db, isolation_level=None)
    mode = con.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if mode.lower() != "wal":
        sys.exit(f"error: {db}: cannot switch to WAL (got {mode})")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("BEGIN")
    for stmt in SCHEMA.strip().split(";"):
        if stmt.strip():
            con.execute(stmt)
    con.executemany("INSERT INTO events(line) VALUES (?)", lines(corpus))
    con.execute(EXTRACT)
    for stmt in INDEXES.strip().split(";"):
        if stmt.strip():
            con.execute(stmt)
    con.execute("COMMIT")
    n = con.execute("SELECT count(*) FROM events").fetchone()[0]
    s = con.execute("SELECT count(*) FROM statements").fetchone()[0]
    con.close()
    print(f"sqlite: {n} events, {s} statements")


def do_query(db, speaker):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    out = sys.stdout
    for row in con.execute(QUERY.format(speaker=speaker.replace("'", "''"))):
        out.write("|".join("" if v is None else str(v) for v in row))
        out.write("\n")
    con.close()


def main(argv):
    if len(argv) == 4 and argv[1] == "import":
        do_import(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] == "query":
        do_query(argv[2], argv[3])
    elif len(argv) == 2 and argv[1] == "sql":
        print(QUERY.strip())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
