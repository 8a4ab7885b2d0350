//! A deterministic synthetic corpus in the event format (EVENTS.md), for
//! benchmarks: the same `--events` and `--seed` always give the same bytes.
//!
//! ```text
//! cargo run --release --example synth -- --events 1000000 --seed 1 --out corpus.jsonl
//! ```
//!
//! Layout of the output, one event per line after a comment header:
//! actors (states with ISO 3166-1 alpha-3 codes, their governments, agencies,
//! legislatures and parties, international organisations, media, the public,
//! people), affiliations of people to organisations, then statements and
//! actions (about 60/40) in roughly chronological order, with a sprinkle of
//! corrections (~0.5%) and retractions (~0.1%) of earlier statements and
//! actions. Statements and actions carry explicit ids (`s-000123`,
//! `a-000045`); every reference points at something written earlier.
//!
//! Heavy speakers: `speaker-heavy-1` says ~2% of all statements,
//! `speaker-heavy-2` ~1% and `speaker-heavy-3` ~0.5%; the other speakers
//! follow a skewed distribution. Lines average about 500 bytes.
//!
//! Dates mix every form of the format: mostly days, then months, years,
//! date-times with offsets, qualified (`?`, `~`, `%`), unspecified digits
//! (`2017-05-XX`), intervals and open ends. `--plain-dates` keeps only days,
//! months, years and date-times.
//!
//! Nothing here depends on anything but the standard library: the random
//! numbers come from a small splitmix64 generator.
// `*pick(..)` names the element type for `push_str`; without it inference picks `str`.
#![allow(clippy::explicit_auto_deref)]

use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

/// splitmix64: tiny, fast and good enough for synthetic data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut r = Rng(seed ^ 0x6a09_e667_f3bc_c909);
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        ((self.next() as u128 * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }

    /// True with probability `per_mille`/1000.
    fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < per_mille as usize
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An index in `0..n` skewed towards the start (a few very active ones).
    fn skewed(&mut self, n: usize) -> usize {
        let u = self.unit();
        ((u * u * u) * n as f64) as usize % n
    }
}

// ---------------------------------------------------------------- vocabulary

/// ISO 3166-1 alpha-3 code, short name, id.
const COUNTRIES: &[(&str, &str)] = &[
    ("RUS", "Russia"),
    ("USA", "United States"),
    ("UKR", "Ukraine"),
    ("CHN", "China"),
    ("FRA", "France"),
    ("DEU", "Germany"),
    ("GBR", "United Kingdom"),
    ("ITA", "Italy"),
    ("ESP", "Spain"),
    ("POL", "Poland"),
    ("TUR", "Turkey"),
    ("IRN", "Iran"),
    ("ISR", "Israel"),
    ("SYR", "Syria"),
    ("SAU", "Saudi Arabia"),
    ("EGY", "Egypt"),
    ("IND", "India"),
    ("PAK", "Pakistan"),
    ("JPN", "Japan"),
    ("KOR", "South Korea"),
    ("PRK", "North Korea"),
    ("BRA", "Brazil"),
    ("ARG", "Argentina"),
    ("MEX", "Mexico"),
    ("CAN", "Canada"),
    ("AUS", "Australia"),
    ("NZL", "New Zealand"),
    ("ZAF", "South Africa"),
    ("NGA", "Nigeria"),
    ("KEN", "Kenya"),
    ("ETH", "Ethiopia"),
    ("DZA", "Algeria"),
    ("MAR", "Morocco"),
    ("TUN", "Tunisia"),
    ("LBY", "Libya"),
    ("SDN", "Sudan"),
    ("IRQ", "Iraq"),
    ("JOR", "Jordan"),
    ("LBN", "Lebanon"),
    ("QAT", "Qatar"),
    ("ARE", "United Arab Emirates"),
    ("OMN", "Oman"),
    ("YEM", "Yemen"),
    ("AFG", "Afghanistan"),
    ("KAZ", "Kazakhstan"),
    ("UZB", "Uzbekistan"),
    ("AZE", "Azerbaijan"),
    ("ARM", "Armenia"),
    ("GEO", "Georgia"),
    ("BLR", "Belarus"),
    ("MDA", "Moldova"),
    ("ROU", "Romania"),
    ("BGR", "Bulgaria"),
    ("GRC", "Greece"),
    ("SRB", "Serbia"),
    ("HRV", "Croatia"),
    ("HUN", "Hungary"),
    ("AUT", "Austria"),
    ("CHE", "Switzerland"),
    ("NLD", "Netherlands"),
    ("BEL", "Belgium"),
    ("SWE", "Sweden"),
    ("NOR", "Norway"),
    ("FIN", "Finland"),
    ("DNK", "Denmark"),
    ("EST", "Estonia"),
    ("LVA", "Latvia"),
    ("LTU", "Lithuania"),
    ("CZE", "Czechia"),
    ("SVK", "Slovakia"),
    ("PRT", "Portugal"),
    ("IRL", "Ireland"),
    ("IDN", "Indonesia"),
    ("MYS", "Malaysia"),
    ("PHL", "Philippines"),
    ("VNM", "Vietnam"),
    ("THA", "Thailand"),
    ("MMR", "Myanmar"),
    ("BGD", "Bangladesh"),
    ("LKA", "Sri Lanka"),
    ("NPL", "Nepal"),
    ("MNG", "Mongolia"),
    ("SGP", "Singapore"),
    ("CHL", "Chile"),
    ("COL", "Colombia"),
    ("PER", "Peru"),
    ("VEN", "Venezuela"),
    ("CUB", "Cuba"),
    ("BOL", "Bolivia"),
    ("ECU", "Ecuador"),
    ("URY", "Uruguay"),
    ("PRY", "Paraguay"),
    ("GHA", "Ghana"),
    ("SEN", "Senegal"),
    ("MLI", "Mali"),
    ("NER", "Niger"),
    ("TCD", "Chad"),
    ("COD", "DR Congo"),
    ("AGO", "Angola"),
    ("MOZ", "Mozambique"),
    ("ZWE", "Zimbabwe"),
    ("UGA", "Uganda"),
    ("RWA", "Rwanda"),
    ("SOM", "Somalia"),
    ("ERI", "Eritrea"),
    ("CYP", "Cyprus"),
    ("MLT", "Malta"),
    ("ISL", "Iceland"),
    ("SVN", "Slovenia"),
    ("BIH", "Bosnia and Herzegovina"),
    ("MKD", "North Macedonia"),
    ("ALB", "Albania"),
    ("MNE", "Montenegro"),
    ("KGZ", "Kyrgyzstan"),
    ("TJK", "Tajikistan"),
    ("TKM", "Turkmenistan"),
];

const INTL_ORGS: &[(&str, &str, &str)] = &[
    ("un", "United Nations", "UN"),
    ("un-security-council", "UN Security Council", "UNSC"),
    ("nato", "NATO", "North Atlantic Treaty Organization"),
    ("eu", "European Union", "EU"),
    ("european-commission", "European Commission", "Brussels"),
    (
        "osce",
        "OSCE",
        "Organization for Security and Co-operation in Europe",
    ),
    ("iaea", "IAEA", "International Atomic Energy Agency"),
    ("african-union", "African Union", "AU"),
    ("asean", "ASEAN", "Association of Southeast Asian Nations"),
    ("arab-league", "Arab League", "League of Arab States"),
    (
        "opec",
        "OPEC",
        "Organization of the Petroleum Exporting Countries",
    ),
    ("who", "World Health Organization", "WHO"),
    ("imf", "International Monetary Fund", "IMF"),
    ("world-bank", "World Bank", "IBRD"),
    ("icc", "International Criminal Court", "ICC"),
    ("icrc", "International Committee of the Red Cross", "ICRC"),
    ("g7", "G7", "Group of Seven"),
    ("g20", "G20", "Group of Twenty"),
    ("brics", "BRICS", "BRICS group"),
    ("sco", "Shanghai Cooperation Organisation", "SCO"),
];

const OUTLETS: &[&str] = &[
    "Reuters",
    "Associated Press",
    "Agence France-Presse",
    "BBC News",
    "The New York Times",
    "The Washington Post",
    "The Guardian",
    "Financial Times",
    "Le Monde",
    "Der Spiegel",
    "RIA Novosti",
    "TASS",
    "Interfax",
    "Xinhua",
    "Kyodo News",
    "Yonhap",
    "Al Jazeera",
    "Anadolu Agency",
    "BuzzFeed News",
    "Politico",
    "Bloomberg",
    "The Wall Street Journal",
    "Kommersant",
    "Meduza",
    "Ukrainska Pravda",
    "El País",
    "Corriere della Sera",
    "NHK",
    "Deutsche Welle",
    "France 24",
    "Euronews",
    "The Hindu",
    "Dawn",
    "Haaretz",
    "The Times of Israel",
    "Asharq Al-Awsat",
    "South China Morning Post",
    "Nikkei Asia",
    "ABC News",
    "CBS News",
    "NPR",
    "CNN",
    "Axios",
    "The Economist",
    "Radio Free Europe",
];

const FIRST: &[&str] = &[
    "anna", "boris", "carla", "dmitry", "elena", "farid", "greta", "hassan", "irina", "jamal",
    "karin", "lars", "maria", "nikolai", "olga", "pavel", "qiang", "rosa", "sergei", "tamara",
    "umar", "vera", "wei", "xenia", "yusuf", "zofia", "ahmed", "beatriz", "chen", "daniel", "emma",
    "felipe", "giorgi", "hana", "ivan", "julia", "kofi", "leila", "marco", "nadia", "oskar",
    "priya", "rahul", "sofia", "tomas", "ursula", "viktor", "william", "yana", "zhang", "amir",
    "bruno", "claire", "david", "erik", "fatima", "gabriel", "helen", "igor", "jan", "kamal",
    "lucia", "mikhail",
];

const LAST: &[&str] = &[
    "petrov",
    "smith",
    "mueller",
    "dubois",
    "rossi",
    "kowalski",
    "yilmaz",
    "hosseini",
    "cohen",
    "haddad",
    "al-saud",
    "mansour",
    "sharma",
    "khan",
    "tanaka",
    "kim",
    "park",
    "silva",
    "fernandez",
    "garcia",
    "tremblay",
    "wilson",
    "nguyen",
    "okafor",
    "mwangi",
    "bekele",
    "benali",
    "trabelsi",
    "ivanova",
    "sokolov",
    "kuznetsov",
    "novak",
    "horvat",
    "nagy",
    "svensson",
    "hansen",
    "virtanen",
    "jensen",
    "tamm",
    "berzins",
    "kazlauskas",
    "novotny",
    "costa",
    "murphy",
    "santos",
    "lim",
    "reyes",
    "tran",
    "suzuki",
    "wang",
    "li",
    "liu",
    "ozturk",
    "demir",
    "aliyev",
    "grigoryan",
    "beridze",
    "lukashenko",
    "popescu",
    "dimitrov",
    "papadopoulos",
    "jovanovic",
    "schmidt",
    "fischer",
    "weber",
];

const CYRILLIC_NAMES: &[&str] = &[
    "Дмитрий Песков",
    "Мария Захарова",
    "Сергей Лавров",
    "Анна Петрова",
    "Олег Соколов",
];

const ROLES: &[&str] = &[
    "foreign minister",
    "spokesperson",
    "ambassador",
    "deputy foreign minister",
    "defence minister",
    "prime minister",
    "president",
    "press secretary",
    "envoy",
    "national security adviser",
    "chief negotiator",
    "secretary general",
    "member",
    "chair",
    "correspondent",
    "editor",
    "analyst",
    "special representative",
];

const GOV_PARTS: &[(&str, &str, &str)] = &[
    ("mfa", "Ministry of Foreign Affairs", "agency"),
    ("mod", "Ministry of Defence", "agency"),
    ("parliament", "Parliament", "legislature"),
    ("ruling-party", "Ruling Party", "party"),
    ("opposition", "Opposition Bloc", "party"),
];

const CITIES: &[&str] = &[
    "Moscow",
    "Washington",
    "Kyiv",
    "Beijing",
    "Paris",
    "Berlin",
    "London",
    "Rome",
    "Madrid",
    "Warsaw",
    "Ankara",
    "Tehran",
    "Jerusalem",
    "Damascus",
    "Riyadh",
    "Cairo",
    "New Delhi",
    "Islamabad",
    "Tokyo",
    "Seoul",
    "Pyongyang",
    "Brasilia",
    "Buenos Aires",
    "Geneva",
    "Vienna",
    "Brussels",
    "New York",
    "Helsinki",
    "Minsk",
    "Tbilisi",
    "Baku",
    "Yerevan",
    "Astana",
    "Doha",
    "Abu Dhabi",
    "Munich",
    "Davos",
    "Sochi",
    "Istanbul",
    "Singapore",
    "Jakarta",
    "Nairobi",
    "Addis Ababa",
    "Pretoria",
    "Ottawa",
    "Canberra",
];

const TOPICS: &[&str] = &[
    "sanctions relief",
    "arms control",
    "the ceasefire",
    "prisoner exchanges",
    "energy security",
    "the grain corridor",
    "nuclear talks",
    "border demarcation",
    "humanitarian access",
    "the peace plan",
    "trade tariffs",
    "visa restrictions",
    "maritime security",
    "cyber attacks",
    "election interference",
    "refugee flows",
    "military exercises",
    "the gas pipeline",
    "diplomatic expulsions",
    "debt relief",
    "climate finance",
    "missile deployments",
    "the embassy closure",
    "the summit agenda",
    "troop withdrawals",
    "the normalization proposal",
    "extradition requests",
    "oil production quotas",
    "the investigation",
    "the detained journalists",
];

const TAGS: &[&str] = &[
    "russia-us-reset",
    "sanctions",
    "arms-control",
    "ceasefire",
    "energy",
    "nuclear",
    "grain-deal",
    "humanitarian",
    "elections",
    "cyber",
    "trade",
    "migration",
    "maritime",
    "climate",
    "summit",
    "expulsions",
    "pipeline",
    "missiles",
    "peace-talks",
    "detentions",
    "g20-summit",
    "un-general-assembly",
    "security-council",
    "border",
    "espionage",
    "disinformation",
    "prisoner-swap",
    "embargo",
    "recognition",
    "visa",
    "debt",
    "oil",
    "gas",
    "troops",
    "drills",
    "airspace",
    "embassy",
    "extradition",
    "aid",
    "reconstruction",
    "refugees",
    "water-rights",
    "minorities",
    "referendum",
    "treaty",
    "inspections",
    "blockade",
    "mediation",
    "normalization",
    "tariffs",
];

const MEDIUMS: &[&str] = &[
    "press briefing",
    "remarks to reporters",
    "conference call with reporters",
    "televised address",
    "interview",
    "statement on Telegram",
    "post on X",
    "joint press conference",
    "written statement",
    "parliamentary hearing",
    "speech at the General Assembly",
    "radio interview",
];

const ACTION_KINDS: &[(&str, u32)] = &[
    ("meeting", 220),
    ("call", 160),
    ("visit", 120),
    ("proposal", 80),
    ("agreement", 60),
    ("sanction", 70),
    ("report", 60),
    ("appointment", 40),
    ("dismissal", 30),
    ("expulsion", 25),
    ("legislation", 30),
    ("military", 40),
    ("other", 30),
    ("humanitarian aid", 20),
    ("prisoner exchange", 15),
];

const CAMEO: &[(&str, &str, u8)] = &[
    ("036", "CONSULT", 1),
    ("040", "CONSULT", 1),
    ("042", "CONSULT", 1),
    ("043", "CONSULT", 1),
    ("057", "AGREE", 1),
    ("061", "COOPERATE", 2),
    ("071", "AID", 2),
    ("111", "REJECT", 3),
    ("112", "ACCUSE", 3),
    ("130", "THREATEN", 3),
    ("163", "SANCTION", 3),
    ("166", "EXPEL", 3),
    ("172", "SANCTION", 3),
    ("190", "ASSAULT", 4),
    ("195", "ASSAULT", 4),
];

const STANCES: &[&str] = &[
    "confirms",
    "denies",
    "declines",
    "supports",
    "opposes",
    "criticizes",
    "questions",
    "neutral",
];

const FORMS: &[&str] = &["direct", "partial", "indirect", "paraphrase"];

const LANGS: &[&str] = &["ru", "fr", "de", "zh", "ar", "es", "uk", "tr"];

const OPENERS: &[&str] = &[
    "We have made our position on {T} perfectly clear to {B}.",
    "Yes, of course, proposals on {T} in various formats were passed to {B}.",
    "I cannot confirm any details about {T} at this stage.",
    "{B} must understand that {T} cannot be decided without us.",
    "There were contacts with {B} on {T}, but it is too early to speak of results.",
    "We categorically reject the claims made by {B} regarding {T}.",
    "Our delegation met counterparts from {B} in {P} to discuss {T}.",
    "The talks in {P} on {T} were constructive, if difficult.",
    "We welcome the readiness of {B} to resume the dialogue on {T}.",
    "Any attempt by {B} to tie {T} to other issues is unacceptable.",
    "The reports about {T} published this week do not correspond to reality.",
    "We are deeply concerned by the latest developments concerning {T}.",
];

const MIDDLES: &[&str] = &[
    "This is a matter of principle for us, and it has been since {Y}.",
    "We expect concrete steps rather than declarations.",
    "The dialogue will continue at the level of experts in {P}.",
    "Nobody should doubt our commitment to international law.",
    "Our partners were informed in advance through diplomatic channels.",
    "We will respond in a measured and proportionate way.",
    "The proposal remains on the table, and the ball is in their court.",
    "It is regrettable that {B} chose the path of confrontation.",
    "We are ready to consider any reasonable ideas on {T}.",
    "A working group will report back before the end of {Y}.",
    "The humanitarian dimension of {T} must not be politicised.",
    "As the minister said in {P}, there is no alternative to negotiations.",
    "These decisions were taken in close coordination with our allies.",
    "We do not comment on intelligence matters, as a rule.",
];

const CLOSERS: &[&str] = &[
    "That is all I can say for now.",
    "We will see how things develop.",
    "The door to dialogue remains open.",
    "We hope common sense will prevail.",
    "Further details will be announced in due course.",
    "I would refer you to the official statement.",
];

const ACTION_LINES: &[&str] = &[
    "{A} and {B} held talks in {P} on {T}, the first such meeting since {Y}.",
    "{A} announced new measures over {T}, targeting officials of {B}.",
    "{A} proposed a framework on {T} to {B}, according to people familiar with the matter.",
    "{A} expelled diplomats of {B} in a dispute over {T}.",
    "{A} signed a memorandum with {B} on {T} during a visit to {P}.",
    "{A} spoke by phone with {B} about {T} and the situation in {P}.",
    "{A} dismissed its envoy after a row with {B} over {T}.",
    "{A} published a report accusing {B} of obstructing {T}.",
    "{A} deployed additional forces near {P}, citing {T}.",
    "{A} hosted a delegation from {B} in {P} for consultations on {T}.",
];

const ACTION_TAILS: &[&str] = &[
    "Officials described the discussions as frank and businesslike.",
    "No joint statement was issued after the meeting.",
    "The move was criticised by several European capitals.",
    "The decision takes effect immediately and will be reviewed in six months.",
    "Both sides agreed to keep working channels open.",
    "Analysts said the step signalled a hardening of positions.",
    "The ministry gave no further details.",
    "It followed weeks of quiet contacts between the two sides.",
];

const ORIGINALS: &[&str] = &[
    "Да, конечно, такие предложения в разных форматах передавались американской стороне.",
    "Мы не комментируем подобные сообщения.",
    "Nous avons été très clairs sur ce point avec nos partenaires.",
    "Wir erwarten konkrete Schritte und keine Erklärungen.",
    "我们坚决反对任何形式的单边制裁。",
    "لا يمكننا تأكيد هذه التقارير في الوقت الحالي.",
    "No tenemos nada más que añadir por ahora.",
    "Ми не коментуємо такі повідомлення.",
];

const REASONS: &[&str] = &[
    "the agency text says otherwise",
    "a later transcript corrects the wording",
    "the date was misread from the source",
    "the outlet updated its report",
    "logged twice",
    "the source was found unreliable",
    "misattributed in the original report",
];

// ---------------------------------------------------------------- dates

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn day(days: i64) -> String {
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02}")
}

fn month(days: i64) -> String {
    let (y, m, _) = civil(days);
    format!("{y:04}-{m:02}")
}

fn year(days: i64) -> String {
    format!("{:04}", civil(days).0)
}

/// 2000-01-01 .. 2025-12-31, in days since the epoch.
const FIRST_DAY: i64 = 10_957;
const LAST_DAY: i64 = 20_453;

/// A date of the event format around `days`, in a mix of precisions.
fn edtf(rng: &mut Rng, days: i64, plain: bool) -> String {
    let roll = rng.below(1000);
    let roll = if plain { roll % 893 } else { roll };
    match roll {
        0..=699 => day(days),
        700..=779 => month(days),
        780..=804 => year(days),
        805..=892 => {
            let h = rng.below(24);
            let mi = rng.below(60);
            let s = rng.below(60);
            let off = *rng.pick(&[
                "Z", "+03:00", "-04:00", "-05:00", "+01:00", "+02:00", "+08:00", "+05:30", "+09:00",
            ]);
            format!("{}T{h:02}:{mi:02}:{s:02}{off}", day(days))
        }
        893..=942 => {
            let q = *rng.pick(&["?", "~", "%"]);
            let base = match rng.below(3) {
                0 => day(days),
                1 => month(days),
                _ => year(days),
            };
            format!("{base}{q}")
        }
        943..=952 => {
            let (y, m, _) = civil(days);
            match rng.below(3) {
                0 => format!("{y:04}-{m:02}-XX"),
                1 => format!("{y:04}-XX"),
                _ => format!("{}X", &format!("{y:04}")[..3]),
            }
        }
        953..=984 => {
            let end = (days + rng.range(1, 90)).min(LAST_DAY);
            let a = if rng.chance(500) {
                day(days)
            } else {
                month(days)
            };
            let b = if rng.chance(600) {
                day(end)
            } else {
                month(end)
            };
            if a >= b {
                day(days)
            } else {
                format!("{a}/{b}")
            }
        }
        _ => match rng.below(3) {
            0 => format!("{}/..", day(days)),
            1 => format!("../{}", year(days)),
            _ => format!("{}/", month(days)),
        },
    }
}

// ---------------------------------------------------------------- JSON

fn esc(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes one JSON object field by field.
struct Obj<'a> {
    out: &'a mut String,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut String, ty: &str) -> Obj<'a> {
        out.push_str("{\"type\":");
        esc(out, ty);
        Obj { out }
    }

    fn key(&mut self, k: &str) {
        self.out.push_str(",\"");
        self.out.push_str(k);
        self.out.push_str("\":");
    }

    fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        esc(self.out, v);
    }

    fn raw(&mut self, k: &str, v: &str) {
        self.key(k);
        self.out.push_str(v);
    }

    fn strs(&mut self, k: &str, vs: &[String]) {
        self.key(k);
        strs(self.out, vs);
    }

    fn end(self) {
        self.out.push_str("}\n");
    }
}

fn strs(out: &mut String, vs: &[String]) {
    out.push('[');
    for (i, v) in vs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        esc(out, v);
    }
    out.push(']');
}

// ---------------------------------------------------------------- actors

struct Actor {
    id: String,
    name: String,
}

/// Who may appear where.
#[derive(Default)]
struct Cast {
    all: Vec<Actor>,
    /// Indexes into `all`.
    states: Vec<usize>,
    governments: Vec<usize>,
    orgs: Vec<usize>,
    people: Vec<usize>,
    media: Vec<usize>,
    public: Vec<usize>,
    /// Speakers other than the heavy ones, most active first.
    speakers: Vec<usize>,
    /// Action takers, most active first.
    doers: Vec<usize>,
    heavy: [usize; 3],
}

struct Gen {
    rng: Rng,
    plain: bool,
    buf: String,
    cast: Cast,
    /// Statements and actions written so far that can be referred to:
    /// (is statement, number).
    events: Vec<(bool, u32)>,
    /// Statements and actions that are not retracted (indexes into `events`).
    live: Vec<u32>,
    statements: u32,
    actions: u32,
    corrections: u32,
    written: u64,
}

fn ev_id(e: (bool, u32)) -> String {
    if e.0 {
        format!("s-{:06}", e.1)
    } else {
        format!("a-{:06}", e.1)
    }
}

impl Gen {
    fn actor(
        &mut self,
        id: String,
        name: String,
        kind: &str,
        country: Option<&str>,
        extra: impl FnOnce(&mut Rng, &mut Obj),
    ) -> usize {
        let mut o = Obj::new(&mut self.buf, "actor");
        o.str("id", &id);
        o.str("name", &name);
        o.str("kind", kind);
        if let Some(c) = country {
            o.str("country", c);
        }
        extra(&mut self.rng, &mut o);
        o.end();
        self.written += 1;
        self.cast.all.push(Actor { id, name });
        self.cast.all.len() - 1
    }

    fn actors(&mut self, total: usize) {
        let n_states = (total / 12).clamp(8, COUNTRIES.len());
        let mut wikidata = 100u32;
        for &(code, name) in &COUNTRIES[..n_states] {
            let id = slug(name);
            wikidata += 7;
            let q = wikidata;
            let s = self.actor(
                id.clone(),
                name.to_string(),
                "state",
                Some(code),
                |rng, o| {
                    if rng.chance(500) {
                        o.strs("aliases", &[code.to_string()]);
                    }
                    o.str("description", &format!("The state of {name}"));
                    o.str("wikidata", &format!("Q{q}"));
                },
            );
            self.cast.states.push(s);
            let g = self.actor(
                format!("gov-{id}"),
                format!("Government of {name}"),
                "government",
                Some(code),
                |_, o| {
                    o.strs("aliases", &[format!("{name} government")]);
                },
            );
            self.cast.governments.push(g);
        }
        // Ministries, parliaments and parties of the first states.
        for &(code, name) in &COUNTRIES[..(n_states / 2).max(4)] {
            for &(part, pname, kind) in GOV_PARTS {
                if self.cast.all.len() >= total / 3 {
                    break;
                }
                let o = self.actor(
                    format!("{}-{part}", slug(name)),
                    format!("{pname} of {name}"),
                    kind,
                    Some(code),
                    |_, _| {},
                );
                self.cast.orgs.push(o);
            }
        }
        for &(id, name, alias) in INTL_ORGS.iter().take((total / 20).max(4)) {
            let o = self.actor(
                id.to_string(),
                name.to_string(),
                "organization",
                None,
                |_, o| {
                    o.strs("aliases", &[alias.to_string()]);
                },
            );
            self.cast.orgs.push(o);
        }
        let n_media = (total / 12).max(5);
        for i in 0..n_media {
            let (name, id) = if let Some(outlet) = OUTLETS.get(i) {
                (outlet.to_string(), slug(outlet))
            } else {
                let city = self.rng.pick(CITIES);
                let noun = self.rng.pick(&[
                    "Herald", "Tribune", "Courier", "Gazette", "Observer", "Post", "Times", "Daily",
                ]);
                (
                    format!("The {city} {noun} {i}"),
                    slug(&format!("{city}-{noun}-{i}")),
                )
            };
            let m = self.actor(id, name, "media", None, |_, _| {});
            self.cast.media.push(m);
        }
        for &(code, name) in &COUNTRIES[..(n_states / 3).max(3)] {
            let p = self.actor(
                format!("public-{}", code.to_ascii_lowercase()),
                format!("Readers in {name}"),
                "public",
                Some(code),
                |_, o| {
                    o.str(
                        "description",
                        &format!("Reader comments and letters from {name}"),
                    );
                },
            );
            self.cast.public.push(p);
        }
        // The heavy speakers, then everybody else.
        for (k, n) in ["1", "2", "3"].iter().enumerate() {
            let (code, cname) = COUNTRIES[k % n_states];
            let alias = CYRILLIC_NAMES[k % CYRILLIC_NAMES.len()].to_string();
            let h = self.actor(
                format!("speaker-heavy-{n}"),
                format!("Heavy Speaker {n}"),
                "person",
                Some(code),
                |_, o| {
                    o.strs("aliases", &[alias]);
                    o.str(
                        "description",
                        &format!("Spokesperson of the foreign ministry of {cname}"),
                    );
                },
            );
            self.cast.heavy[k] = h;
            self.cast.people.push(h);
        }
        let mut i = 0;
        while self.cast.all.len() < total {
            i += 1;
            let first = *self.rng.pick(FIRST);
            let last = *self.rng.pick(LAST);
            let (code, cname) = *self.rng.pick(&COUNTRIES[..n_states]);
            let role = *self.rng.pick(ROLES);
            let name = format!("{} {}", title(first), title(last));
            let p = self.actor(
                format!("{first}-{last}-{i}"),
                name,
                "person",
                Some(code),
                |rng, o| {
                    if rng.chance(200) {
                        o.strs(
                            "aliases",
                            &[format!("{} {}", &title(first)[..1], title(last))],
                        );
                    }
                    if rng.chance(700) {
                        o.str("description", &format!("{} of {cname}", title(role)));
                    }
                },
            );
            self.cast.people.push(p);
        }
        let c = &mut self.cast;
        c.speakers
            .extend(c.people.iter().filter(|p| !c.heavy.contains(p)));
        c.speakers.extend(&c.governments);
        c.speakers.extend(&c.states);
        c.speakers.extend(&c.orgs);
        c.speakers.extend(&c.public);
        c.speakers.extend(&c.media);
        c.doers.extend(&c.states);
        c.doers.extend(&c.governments);
        c.doers.extend(&c.orgs);
        c.doers.extend(&c.people);
        // Shuffle (deterministically) so activity is not tied to kind.
        for v in [&mut c.speakers, &mut c.doers] {
            for k in (1..v.len()).rev() {
                let j = self.rng.below(k + 1);
                v.swap(k, j);
            }
        }
    }

    fn affiliations(&mut self, n: usize) {
        let orgs: Vec<usize> = self
            .cast
            .governments
            .iter()
            .chain(&self.cast.orgs)
            .chain(&self.cast.media)
            .copied()
            .collect();
        for k in 0..n {
            let person = self.cast.people[k % self.cast.people.len()];
            let org = *self.rng.pick(&orgs);
            let role = *self.rng.pick(ROLES);
            let start = self.rng.range(FIRST_DAY - 3000, LAST_DAY - 400);
            let from = if self.rng.chance(600) {
                Some(if self.rng.chance(700) {
                    day(start)
                } else {
                    month(start)
                })
            } else {
                None
            };
            let until = if from.is_some() && self.rng.chance(300) {
                Some(day(start + self.rng.range(60, 3000)))
            } else {
                None
            };
            let sources = self.rng.chance(400).then(|| self.sources(start));
            let c = &self.cast.all;
            let mut o = Obj::new(&mut self.buf, "affiliation");
            o.str("id", &format!("f-{:06}", k + 1));
            o.str("actor", &c[person].id);
            o.str("org", &c[org].id);
            o.str("role", role);
            if let Some(f) = &from {
                o.str("from", f);
            }
            if let Some(u) = &until {
                o.str("until", u);
            }
            if let Some(s) = &sources {
                o.raw("sources", s);
            }
            o.end();
            self.written += 1;
        }
    }

    /// 1–3 links, nearest to the speaker first.
    fn sources(&mut self, days: i64) -> String {
        let n = match self.rng.below(10) {
            0..=5 => 1,
            6..=8 => 2,
            _ => 3,
        };
        let mut s = String::from("[");
        for i in 0..n {
            if i > 0 {
                s.push(',');
            }
            let media = self.cast.media[self.rng.skewed(self.cast.media.len())];
            let outlet = self.cast.all[media].name.clone();
            s.push_str("{\"outlet\":");
            esc(&mut s, &outlet);
            if self.rng.chance(400) {
                let _ = write!(
                    s,
                    ",\"url\":\"https://news.example/{}/{}/{:08x}\"",
                    self.cast.all[media].id,
                    year(days),
                    self.rng.next() as u32
                );
            }
            if self.rng.chance(400) {
                let _ = write!(
                    s,
                    ",\"published\":\"{}\"",
                    day((days + self.rng.range(0, 3)).min(LAST_DAY))
                );
            }
            if self.rng.chance(50) {
                let _ = write!(s, ",\"retrieved\":\"{}\"", day(LAST_DAY));
            }
            s.push('}');
        }
        s.push(']');
        s
    }

    fn tags(&mut self) -> Vec<String> {
        let n = match self.rng.below(10) {
            0..=2 => 0,
            3..=6 => 1,
            7..=8 => 2,
            _ => 3,
        };
        let mut t: Vec<String> = Vec::with_capacity(n);
        for _ in 0..n {
            let tag = TAGS[self.rng.skewed(TAGS.len())].to_string();
            if !t.contains(&tag) {
                t.push(tag);
            }
        }
        t
    }

    fn some_actors(&mut self, max: usize, not: usize) -> Vec<String> {
        let n = 1 + self.rng.below(max);
        let mut v: Vec<String> = Vec::with_capacity(n);
        for _ in 0..n {
            let a = if self.rng.chance(600) {
                self.cast.states[self.rng.skewed(self.cast.states.len())]
            } else {
                self.cast.speakers[self.rng.skewed(self.cast.speakers.len())]
            };
            let id = &self.cast.all[a].id;
            if a != not && !v.contains(id) {
                v.push(id.clone());
            }
        }
        v
    }

    /// Fill `{A}`, `{B}`, `{T}`, `{P}`, `{Y}` in a template.
    fn fill(&mut self, out: &mut String, template: &str, a: &str, days: i64) {
        let mut rest = template;
        while let Some(i) = rest.find('{') {
            out.push_str(&rest[..i]);
            let slot = &rest[i + 1..i + 2];
            match slot {
                "A" => out.push_str(a),
                "B" => {
                    let b = self.cast.states[self.rng.skewed(self.cast.states.len())];
                    out.push_str(&self.cast.all[b].name);
                }
                "T" => out.push_str(*self.rng.pick(TOPICS)),
                "P" => out.push_str(*self.rng.pick(CITIES)),
                _ => {
                    let y = civil(days).0 - self.rng.range(0, 6);
                    let _ = write!(out, "{y}");
                }
            }
            rest = &rest[i + 3..];
        }
        out.push_str(rest);
    }

    fn text(&mut self, days: i64) -> String {
        let mut t = String::with_capacity(400);
        let target = 30 + self.rng.below(100) + self.rng.below(100) + self.rng.below(100);
        let first = *self.rng.pick(OPENERS);
        self.fill(&mut t, first, "", days);
        let mut last = usize::MAX;
        while t.len() < target {
            let mut k = self.rng.below(MIDDLES.len());
            if k == last {
                k = (k + 1) % MIDDLES.len();
            }
            last = k;
            t.push(' ');
            self.fill(&mut t, MIDDLES[k], "", days);
        }
        if self.rng.chance(500) {
            t.push(' ');
            t.push_str(*self.rng.pick(CLOSERS));
        }
        t
    }

    fn summary(&mut self, actor: &str, days: i64) -> String {
        let mut t = String::with_capacity(300);
        let line = *self.rng.pick(ACTION_LINES);
        self.fill(&mut t, line, actor, days);
        let target = 50 + self.rng.below(120) + self.rng.below(120);
        let mut last = usize::MAX;
        while t.len() < target {
            let mut k = self.rng.below(ACTION_TAILS.len());
            if k == last {
                k = (k + 1) % ACTION_TAILS.len();
            }
            last = k;
            t.push(' ');
            t.push_str(ACTION_TAILS[k]);
        }
        t
    }

    /// An earlier statement or action, mostly a recent one.
    fn earlier(&mut self) -> Option<(bool, u32)> {
        if self.events.is_empty() {
            return None;
        }
        let n = self.events.len();
        let k = if self.rng.chance(800) {
            n - 1 - self.rng.below(n.min(2000))
        } else {
            self.rng.below(n)
        };
        Some(self.events[k])
    }

    fn statement(&mut self, days: i64) {
        self.statements += 1;
        let number = self.statements;
        let date = edtf(&mut self.rng, days, self.plain);
        let roll = self.rng.below(1000);
        let speaker = match roll {
            0..=19 => self.cast.heavy[0],
            20..=29 => self.cast.heavy[1],
            30..=34 => self.cast.heavy[2],
            _ => self.cast.speakers[self.rng.skewed(self.cast.speakers.len())],
        };
        let text = self.text(days);
        let form = self.rng.chance(600).then(|| *self.rng.pick(FORMS));
        let language = if self.rng.chance(500) {
            Some("en")
        } else if self.rng.chance(100) {
            Some(*self.rng.pick(LANGS))
        } else {
            None
        };
        let original = self.rng.chance(50).then(|| {
            let k = self.rng.below(ORIGINALS.len());
            (LANGS[k], ORIGINALS[k])
        });
        let medium = self.rng.chance(400).then(|| *self.rng.pick(MEDIUMS));
        let to = if self.rng.chance(200) {
            self.some_actors(2, speaker)
        } else {
            Vec::new()
        };
        let mentions = if self.rng.chance(400) {
            self.some_actors(3, speaker)
        } else {
            Vec::new()
        };
        let mut about = Vec::new();
        if self.rng.chance(300) {
            for _ in 0..1 + self.rng.below(2) {
                if let Some(e) = self.earlier() {
                    let id = ev_id(e);
                    if !about.contains(&id) {
                        about.push(id);
                    }
                }
            }
        }
        let stance = if !about.is_empty() && self.rng.chance(900) || self.rng.chance(50) {
            Some(*self.rng.pick(STANCES))
        } else {
            None
        };
        let place = self.rng.chance(300).then(|| *self.rng.pick(CITIES));
        let sources = self.sources(days);
        let tags = self.tags();

        let c = &self.cast.all;
        let mut o = Obj::new(&mut self.buf, "statement");
        o.str("id", &format!("s-{number:06}"));
        o.str("date", &date);
        o.str("speaker", &c[speaker].id);
        if let Some(f) = form {
            o.str("form", f);
        }
        o.str("text", &text);
        if let Some(l) = language {
            o.str("language", l);
        }
        if let Some((l, t)) = original {
            o.key("original");
            o.out.push_str("{\"language\":");
            esc(o.out, l);
            o.out.push_str(",\"text\":");
            esc(o.out, t);
            o.out.push('}');
        }
        if let Some(m) = medium {
            o.str("medium", m);
        }
        if !to.is_empty() {
            o.strs("to", &to);
        }
        if !mentions.is_empty() {
            o.strs("mentions", &mentions);
        }
        if !about.is_empty() {
            o.strs("about", &about);
        }
        if let Some(s) = stance {
            o.str("stance", s);
        }
        if let Some(p) = place {
            o.str("place", p);
        }
        o.raw("sources", &sources);
        if !tags.is_empty() {
            o.strs("tags", &tags);
        }
        o.end();
        self.written += 1;
        self.live.push(self.events.len() as u32);
        self.events.push((true, number));
    }

    fn action(&mut self, days: i64) {
        self.actions += 1;
        let number = self.actions;
        let date = edtf(&mut self.rng, days, self.plain);
        let actor = self.cast.doers[self.rng.skewed(self.cast.doers.len())];
        let total: u32 = ACTION_KINDS.iter().map(|k| k.1).sum();
        let mut roll = self.rng.below(total as usize) as u32;
        let mut kind = ACTION_KINDS[0].0;
        for &(k, w) in ACTION_KINDS {
            if roll < w {
                kind = k;
                break;
            }
            roll -= w;
        }
        let actor_name = self.cast.all[actor].name.clone();
        let summary = self.summary(&actor_name, days);
        let targets = if self.rng.chance(750) {
            self.some_actors(3, actor)
        } else {
            Vec::new()
        };
        let codes = self.rng.chance(500).then(|| {
            let (cameo, plover, quad) = *self.rng.pick(CAMEO);
            let goldstein = self.rng.range(-100, 100) as f64 / 10.0;
            let mut s = String::new();
            let _ = write!(s, "{{\"cameo\":\"{cameo}\"");
            if self.rng.chance(700) {
                let _ = write!(s, ",\"plover\":\"{plover}\",\"quad_class\":{quad}");
            }
            let _ = write!(s, ",\"goldstein\":{goldstein:.1}");
            if self.rng.chance(300) {
                let _ = write!(
                    s,
                    ",\"intensity\":{:.1}",
                    self.rng.range(0, 100) as f64 / 10.0
                );
            }
            s.push('}');
            s
        });
        let place = self.rng.chance(500).then(|| *self.rng.pick(CITIES));
        let sources = self.sources(days);
        let tags = self.tags();

        let c = &self.cast.all;
        let mut o = Obj::new(&mut self.buf, "action");
        o.str("id", &format!("a-{number:06}"));
        o.str("date", &date);
        o.str("actor", &c[actor].id);
        o.str("kind", kind);
        o.str("summary", &summary);
        if !targets.is_empty() {
            o.strs("targets", &targets);
        }
        if let Some(cd) = &codes {
            o.raw("codes", cd);
        }
        if let Some(p) = place {
            o.str("place", p);
        }
        o.raw("sources", &sources);
        if !tags.is_empty() {
            o.strs("tags", &tags);
        }
        o.end();
        self.written += 1;
        self.live.push(self.events.len() as u32);
        self.events.push((false, number));
    }

    /// A live (not retracted) statement or action, mostly a recent one.
    fn live_target(&mut self) -> Option<usize> {
        if self.live.is_empty() {
            return None;
        }
        let n = self.live.len();
        Some(if self.rng.chance(700) {
            n - 1 - self.rng.below(n.min(5000))
        } else {
            self.rng.below(n)
        })
    }

    fn correction(&mut self, days: i64) -> bool {
        let Some(k) = self.live_target() else {
            return false;
        };
        let target = self.events[self.live[k] as usize];
        let mut set = String::from("{");
        let statement = target.0;
        match (statement, self.rng.below(5)) {
            (true, 0) => {
                set.push_str("\"medium\":");
                esc(&mut set, *self.rng.pick(MEDIUMS));
            }
            (true, 1) => {
                set.push_str("\"stance\":");
                esc(&mut set, *self.rng.pick(STANCES));
            }
            (true, 2) => {
                let t = self.text(days);
                set.push_str("\"text\":");
                esc(&mut set, &t);
            }
            (false, 0) => {
                let t = self.summary("The government", days);
                set.push_str("\"summary\":");
                esc(&mut set, &t);
            }
            (false, 1) => {
                set.push_str("\"place\":");
                esc(&mut set, *self.rng.pick(CITIES));
            }
            (_, 3) => {
                let t = self.tags();
                set.push_str("\"tags\":");
                strs(&mut set, &t);
            }
            _ => {
                let back = self.rng.range(0, 30);
                let d = edtf(&mut self.rng, days - back, true);
                set.push_str("\"date\":");
                esc(&mut set, &d);
            }
        }
        set.push('}');
        let reason = *self.rng.pick(&REASONS[..4]);
        let explicit = self.rng.chance(200);
        self.corrections += 1;
        let number = self.corrections;
        let mut o = Obj::new(&mut self.buf, "correction");
        if explicit {
            o.str("id", &format!("c-{number:06}"));
        }
        o.str("target", &ev_id(target));
        o.raw("set", &set);
        o.str("reason", reason);
        o.end();
        self.written += 1;
        true
    }

    fn retraction(&mut self) -> bool {
        let Some(k) = self.live_target() else {
            return false;
        };
        let target = self.events[self.live.swap_remove(k) as usize];
        let reason = *self.rng.pick(&REASONS[3..]);
        let mut o = Obj::new(&mut self.buf, "retraction");
        o.str("target", &ev_id(target));
        o.str("reason", reason);
        o.end();
        self.written += 1;
        true
    }
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

fn title(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------- main

struct Args {
    events: u64,
    seed: u64,
    out: Option<String>,
    plain: bool,
}

fn usage() -> String {
    "usage: synth --events N [--seed S] [--out FILE] [--plain-dates]".into()
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        events: 0,
        seed: 1,
        out: None,
        plain: false,
    };
    let mut it = std::env::args().skip(1);
    let mut have_events = false;
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value\n{}", usage()))
        };
        match arg.as_str() {
            "--events" | "-n" => {
                a.events = value("--events")?
                    .replace('_', "")
                    .parse()
                    .map_err(|_| "--events: expected a whole number".to_string())?;
                have_events = true;
            }
            "--seed" => {
                a.seed = value("--seed")?
                    .parse()
                    .map_err(|_| "--seed: expected a whole number".to_string())?
            }
            "--out" | "-o" => a.out = Some(value("--out")?),
            "--plain-dates" => a.plain = true,
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument {other:?}\n{}", usage())),
        }
    }
    if !have_events || a.events < 100 {
        return Err(format!("--events must be given, at least 100\n{}", usage()));
    }
    Ok(a)
}

fn run(a: &Args) -> io::Result<Gen> {
    let mut sink: Box<dyn Write> = match &a.out {
        Some(p) if p != "-" => Box::new(std::fs::File::create(p)?),
        _ => Box::new(io::stdout().lock()),
    };
    let mut w = BufWriter::with_capacity(1 << 20, &mut sink);
    let n = a.events;
    let mut g = Gen {
        rng: Rng::new(a.seed),
        plain: a.plain,
        buf: String::with_capacity(1 << 20),
        cast: Cast::default(),
        events: Vec::new(),
        live: Vec::new(),
        statements: 0,
        actions: 0,
        corrections: 0,
        written: 0,
    };
    writeln!(
        w,
        "# demarche synthetic corpus: events={n} seed={} dates={} (examples/synth.rs)",
        a.seed,
        if a.plain { "plain" } else { "mixed" }
    )?;
    let n_actors = ((n / 40) as usize).clamp(60, 3000);
    g.actors(n_actors);
    let n_aff = (n_actors / 3).min(((n as usize) / 20).max(1));
    g.affiliations(n_aff);
    w.write_all(g.buf.as_bytes())?;
    g.buf.clear();

    let body = n - g.written;
    let span = (LAST_DAY - FIRST_DAY) as f64;
    let mut i = 0u64;
    while g.written < n {
        // Roughly chronological, with reporting lag and backfill.
        let base = FIRST_DAY + (i as f64 / body as f64 * span) as i64;
        let jitter = if g.rng.chance(50) {
            -g.rng.range(0, 2000)
        } else {
            g.rng.range(-45, 10)
        };
        let days = (base + jitter).clamp(FIRST_DAY, LAST_DAY);
        let roll = g.rng.below(1000);
        let done = match roll {
            0..=4 => g.correction(days),
            5 => g.retraction(),
            _ => false,
        };
        if !done {
            if g.rng.chance(600) {
                g.statement(days)
            } else {
                g.action(days)
            }
        }
        i += 1;
        if g.buf.len() >= 1 << 20 {
            w.write_all(g.buf.as_bytes())?;
            g.buf.clear();
        }
    }
    w.write_all(g.buf.as_bytes())?;
    w.flush()?;
    drop(w);
    sink.flush()?;
    Ok(g)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(g) => {
            eprintln!(
                "synth: {} events ({} actors, {} statements, {} actions, {} corrections, {} retractions); heavy speaker {}",
                g.written,
                g.cast.all.len(),
                g.statements,
                g.actions,
                g.corrections,
                g.events.len() - g.live.len(),
                g.cast.all[g.cast.heavy[0]].id
            );
            ExitCode::SUCCESS
        }
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot write the corpus: {e}");
            ExitCode::FAILURE
        }
    }
}
