//! The event vocabulary: what can be recorded, how it is checked, and how it
//! is written canonically. Events are facts in the past; once valid they are
//! never changed, only corrected or retracted by later events.

use std::collections::BTreeMap;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::date::EdtfDate;
use crate::error::{closest, Error, Result};

/// Most characters allowed in a `text`, `summary` or `description` (1 MiB).
pub const MAX_TEXT_BYTES: usize = 1 << 20;
/// Most entries allowed in any list.
pub const MAX_LIST_LEN: usize = 1000;
/// Most bytes of a short field (names, roles, places, outlets, urls, ...).
pub const MAX_SHORT_BYTES: usize = 4096;

/// What kind of actor: a person, a state, an organisation, the public...
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    Person,
    State,
    Government,
    Agency,
    Legislature,
    Party,
    Organization,
    Media,
    Group,
    Public,
}

impl ActorKind {
    /// Every kind.
    pub const ALL: [ActorKind; 10] = [
        ActorKind::Person,
        ActorKind::State,
        ActorKind::Government,
        ActorKind::Agency,
        ActorKind::Legislature,
        ActorKind::Party,
        ActorKind::Organization,
        ActorKind::Media,
        ActorKind::Group,
        ActorKind::Public,
    ];

    /// The name used in the event format.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Person => "person",
            ActorKind::State => "state",
            ActorKind::Government => "government",
            ActorKind::Agency => "agency",
            ActorKind::Legislature => "legislature",
            ActorKind::Party => "party",
            ActorKind::Organization => "organization",
            ActorKind::Media => "media",
            ActorKind::Group => "group",
            ActorKind::Public => "public",
        }
    }
}

/// How faithfully a statement's text reproduces what was said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Form {
    Direct,
    Partial,
    Indirect,
    Paraphrase,
}

impl Form {
    /// Every form.
    pub const ALL: [Form; 4] = [
        Form::Direct,
        Form::Partial,
        Form::Indirect,
        Form::Paraphrase,
    ];

    /// The name used in the event format.
    pub fn as_str(self) -> &'static str {
        match self {
            Form::Direct => "direct",
            Form::Partial => "partial",
            Form::Indirect => "indirect",
            Form::Paraphrase => "paraphrase",
        }
    }
}

/// A statement's position toward the events it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stance {
    Confirms,
    Denies,
    Declines,
    Supports,
    Opposes,
    Criticizes,
    Questions,
    Neutral,
}

impl Stance {
    /// Every stance, in the order perspectives are shown.
    pub const ALL: [Stance; 8] = [
        Stance::Confirms,
        Stance::Denies,
        Stance::Declines,
        Stance::Supports,
        Stance::Opposes,
        Stance::Criticizes,
        Stance::Questions,
        Stance::Neutral,
    ];

    /// The name used in the event format.
    pub fn as_str(self) -> &'static str {
        match self {
            Stance::Confirms => "confirms",
            Stance::Denies => "denies",
            Stance::Declines => "declines",
            Stance::Supports => "supports",
            Stance::Opposes => "opposes",
            Stance::Criticizes => "criticizes",
            Stance::Questions => "questions",
            Stance::Neutral => "neutral",
        }
    }
}

/// Read a lowercase enum name the way the event format spells it.
fn parse_name<T: serde::de::DeserializeOwned>(
    s: &str,
    what: &str,
    all: &[&str],
) -> std::result::Result<T, String> {
    serde_json::from_value(Value::String(s.to_string())).map_err(|_| {
        format!(
            "unknown {what} \"{s}\" (expected one of: {})",
            all.join(", ")
        )
    })
}

impl std::str::FromStr for ActorKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        parse_name(s, "actor kind", &ActorKind::ALL.map(ActorKind::as_str))
    }
}

impl std::str::FromStr for Form {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        parse_name(s, "form", &["direct", "partial", "indirect", "paraphrase"])
    }
}

impl std::str::FromStr for Stance {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        parse_name(s, "stance", &Stance::ALL.map(Stance::as_str))
    }
}

/// One link of an attribution chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub outlet: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<EdtfDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retrieved: Option<EdtfDate>,
}

/// The statement in its original language, when it was translated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Original {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Event-data codes attached to an action (CAMEO, PLOVER, ...).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Codes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cameo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plover: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quad_class: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goldstein: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intensity: Option<f64>,
}

/// An actor was registered, or its profile updated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorRegistered {
    pub id: String,
    pub name: String,
    pub kind: ActorKind,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "nullable_list"
    )]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wikidata: Option<String>,
}

/// An actor belongs (or belonged) to an organisation in some role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AffiliationDeclared {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub actor: String,
    pub org: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<EdtfDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<EdtfDate>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "nullable_list"
    )]
    pub sources: Vec<Source>,
}

/// Somebody said something, on a date, possibly to somebody, about something.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementMade {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub date: EdtfDate,
    pub speaker: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<Form>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<Original>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "nullable_list"
    )]
    pub to: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "nullable_list"
    )]
    pub mentions: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "nullable_list"
    )]
    pub about: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stance: Option<Stance>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "nullable_list"
    )]
    pub sources: Vec<Source>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "nullable_list"
    )]
    pub tags: Vec<String>,
}

impl StatementMade {
    /// The form, `direct` when not given.
    pub fn form(&self) -> Form {
        self.form.unwrap_or(Form::Direct)
    }
}

/// Somebody did something, on a date, possibly to somebody.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionTaken {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub date: EdtfDate,
    pub actor: String,
    pub kind: String,
    pub summary: String,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "nullable_list"
    )]
    pub targets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codes: Option<Codes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "nullable_list"
    )]
    pub sources: Vec<Source>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "nullable_list"
    )]
    pub tags: Vec<String>,
}

/// Fields of an earlier event were found wrong and replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionIssued {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub target: String,
    pub set: BTreeMap<String, Value>,
    pub reason: String,
}

/// An earlier event should no longer be shown as fact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetractionIssued {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub target: String,
    pub reason: String,
}

/// One fact of the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Event {
    Actor(ActorRegistered),
    Affiliation(AffiliationDeclared),
    Statement(StatementMade),
    Action(ActionTaken),
    Correction(CorrectionIssued),
    Retraction(RetractionIssued),
}

/// The names of the event types, as written in `type`.
pub const EVENT_TYPES: [&str; 6] = [
    "actor",
    "affiliation",
    "statement",
    "action",
    "correction",
    "retraction",
];

fn nullable_list<'de, D, T>(d: D) -> std::result::Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A reference from one event to an actor or another event, with the field it
/// sits in, for checking that it points at something earlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ref<'a> {
    Actor { field: &'static str, id: &'a str },
    Event { field: &'static str, id: &'a str },
}

impl Event {
    /// The `type` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::Actor(_) => "actor",
            Event::Affiliation(_) => "affiliation",
            Event::Statement(_) => "statement",
            Event::Action(_) => "action",
            Event::Correction(_) => "correction",
            Event::Retraction(_) => "retraction",
        }
    }

    /// The event id the user gave, if any. For an actor event this is `None`:
    /// its `id` names the actor, and the event's own id is derived.
    pub fn given_id(&self) -> Option<&str> {
        match self {
            Event::Actor(_) => None,
            Event::Affiliation(e) => e.id.as_deref(),
            Event::Statement(e) => e.id.as_deref(),
            Event::Action(e) => e.id.as_deref(),
            Event::Correction(e) => e.id.as_deref(),
            Event::Retraction(e) => e.id.as_deref(),
        }
    }

    /// What a derived id chains on: the actor of an actor event, the target
    /// of a correction or retraction.
    pub fn subject(&self) -> Option<&str> {
        match self {
            Event::Actor(a) => Some(&a.id),
            Event::Correction(c) => Some(&c.target),
            Event::Retraction(r) => Some(&r.target),
            _ => None,
        }
    }

    /// When it happened, for statements and actions.
    pub fn date(&self) -> Option<&EdtfDate> {
        match self {
            Event::Statement(s) => Some(&s.date),
            Event::Action(a) => Some(&a.date),
            _ => None,
        }
    }

    /// The tags, for statements and actions.
    pub fn tags(&self) -> &[String] {
        match self {
            Event::Statement(s) => &s.tags,
            Event::Action(a) => &a.tags,
            _ => &[],
        }
    }

    /// The attribution chain, where the event has one.
    pub fn sources(&self) -> &[Source] {
        match self {
            Event::Statement(s) => &s.sources,
            Event::Action(a) => &a.sources,
            Event::Affiliation(a) => &a.sources,
            _ => &[],
        }
    }

    /// Every actor and event this one refers to, with the field it sits in.
    pub fn refs(&self) -> Vec<Ref<'_>> {
        fn actor<'a>(field: &'static str, id: &'a str) -> Ref<'a> {
            Ref::Actor { field, id }
        }
        let mut out = Vec::new();
        match self {
            Event::Actor(_) => {}
            Event::Affiliation(a) => {
                out.push(actor("actor", &a.actor));
                out.push(actor("org", &a.org));
            }
            Event::Statement(s) => {
                out.push(actor("speaker", &s.speaker));
                out.extend(s.to.iter().map(|id| actor("to", id)));
                out.extend(s.mentions.iter().map(|id| actor("mentions", id)));
                out.extend(s.about.iter().map(|id| Ref::Event { field: "about", id }));
            }
            Event::Action(a) => {
                out.push(actor("actor", &a.actor));
                out.extend(a.targets.iter().map(|id| actor("targets", id)));
            }
            Event::Correction(c) => out.push(Ref::Event {
                field: "target",
                id: &c.target,
            }),
            Event::Retraction(r) => out.push(Ref::Event {
                field: "target",
                id: &r.target,
            }),
        }
        out
    }

    /// Every actor the event involves, in the order: the one who spoke or
    /// acted (or is affiliated), then addressees and targets (or the
    /// organisation), then mentions.
    pub fn actors(&self) -> Vec<&str> {
        self.refs()
            .into_iter()
            .filter_map(|r| match r {
                Ref::Actor { id, .. } => Some(id),
                Ref::Event { .. } => None,
            })
            .collect()
    }

    /// The event as a JSON value (keys sorted, absent fields left out).
    pub fn to_value(&self) -> Value {
        // Serialising our own types to a Value cannot fail: every map key is a string.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Canonical bytes: keys sorted, no insignificant whitespace, optional
    /// fields that are absent, null or empty lists left out.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        // Our types all have a canonical form (a test checks each kind of
        // event); the long way stays for what would not.
        crate::canonical::to_vec(self).unwrap_or_else(|_| canonical(&self.to_value()))
    }

    /// The id an event gets when none was given: a hash of its canonical
    /// bytes chained on the id of the latest earlier event about the same
    /// subject (`prior`).
    pub fn derive_id(&self, prior: Option<&str>) -> String {
        self.derive_id_from(&self.canonical_bytes(), prior)
    }

    /// [`Event::derive_id`] given the event's canonical bytes.
    pub fn derive_id_from(&self, canonical: &[u8], prior: Option<&str>) -> String {
        let mut h = Sha256::new();
        h.update(canonical);
        h.update([0u8]);
        h.update(prior.unwrap_or("").as_bytes());
        let digest = h.finalize();
        format!("{}-{}", self.type_name(), &hex(&digest)[..16])
    }

    /// An event whose line starts with `{"type":"...",` (as the format's
    /// examples and the generated corpus write it), read straight into its
    /// struct, which refuses unknown and repeated fields as the strict
    /// reading does: `None` for anything it does not take, which then goes
    /// the long way ([`parse_strict`], [`Event::from_value`]) for the
    /// messages that name the field. Not validated. Corrections are left
    /// out: the values they set are free JSON, where a repeated key must be
    /// caught too.
    pub fn type_first(bytes: &[u8]) -> Option<Event> {
        let rest = bytes.strip_prefix(b"{\"type\":\"")?;
        let end = rest.iter().position(|b| *b == b'"')?;
        let (ty, after) = (&rest[..end], &rest[end + 1..]);
        if ty == b"correction" {
            return None;
        }
        let mut body = Vec::with_capacity(after.len() + 1);
        body.push(b'{');
        match after.first()? {
            b',' => body.extend_from_slice(&after[1..]),
            b'}' => body.extend_from_slice(after),
            _ => return None,
        }
        let body = String::from_utf8(body).ok()?;
        Event::of_type(std::str::from_utf8(ty).ok()?, &body)?.ok()
    }

    /// The event of type `ty` whose fields, without `type`, are the JSON
    /// object `body`; `None` for an unknown type.
    fn of_type(ty: &str, body: &str) -> Option<serde_json::Result<Event>> {
        Some(match ty {
            "statement" => serde_json::from_str(body).map(Event::Statement),
            "action" => serde_json::from_str(body).map(Event::Action),
            "correction" => serde_json::from_str(body).map(Event::Correction),
            "retraction" => serde_json::from_str(body).map(Event::Retraction),
            "actor" => serde_json::from_str(body).map(Event::Actor),
            "affiliation" => serde_json::from_str(body).map(Event::Affiliation),
            _ => return None,
        })
    }

    /// Read an event from a JSON value, checking every field. Errors name the
    /// field and the offending value.
    pub fn from_value(value: Value) -> Result<Event> {
        let event = Event::typed_from(value)?;
        event.validate()?;
        Ok(event)
    }

    /// [`Event::from_value`] for an event already recorded: checked with
    /// [`Event::validate_recorded`].
    pub fn from_recorded_value(value: Value) -> Result<Event> {
        let event = Event::typed_from(value)?;
        event.validate_recorded()?;
        Ok(event)
    }

    fn typed_from(mut value: Value) -> Result<Event> {
        let found = kind_of(&value);
        let obj = value
            .as_object_mut()
            .ok_or_else(|| Error::invalid(format!("expected a JSON object, found {found}")))?;
        let ty = match obj.remove("type") {
            None | Some(Value::Null) => {
                return Err(Error::invalid(format!(
                    "missing field \"type\" (expected one of: {})",
                    EVENT_TYPES.join(", ")
                )))
            }
            Some(Value::String(s)) => s,
            Some(other) => {
                return Err(Error::invalid(format!(
                    "field \"type\": expected a string, found {}",
                    kind_of(&other)
                )))
            }
        };
        let event = match ty.as_str() {
            "actor" => Event::Actor(typed(value)?),
            "affiliation" => Event::Affiliation(typed(value)?),
            "statement" => Event::Statement(typed(value)?),
            "action" => Event::Action(typed(value)?),
            "correction" => Event::Correction(typed(value)?),
            "retraction" => Event::Retraction(typed(value)?),
            other => {
                let hint = closest(other, EVENT_TYPES)
                    .first()
                    .map(|s| format!("did you mean \"{s}\"? "))
                    .unwrap_or_default();
                return Err(Error::invalid(format!(
                    "field \"type\": unknown event type {} ({hint}expected one of: {})",
                    quote(other),
                    EVENT_TYPES.join(", ")
                )));
            }
        };
        Ok(event)
    }

    /// Check the rules that the types alone do not: slugs, sizes, codes.
    pub fn validate(&self) -> Result<()> {
        self.check(Check::default())
    }

    /// [`Event::validate`] for an event already recorded, by this version or
    /// an earlier one: ids, dates, sizes and codes as always, but not the
    /// rules added since (one-line fields free of control characters and
    /// blanks, ids listed once, an affiliation to another actor, a country
    /// on the ISO list rather than any three capitals).
    pub fn validate_recorded(&self) -> Result<()> {
        self.check(Check {
            first: None,
            recorded: true,
        })
    }

    fn check(&self, mut v: Check) -> Result<()> {
        match self {
            Event::Actor(a) => {
                v.slug("id", &a.id);
                v.short("name", &a.name, true);
                v.list("aliases", &a.aliases);
                for (i, alias) in a.aliases.iter().enumerate() {
                    v.short(Field("aliases", Some(i), ""), alias, true);
                }
                if let Some(c) = &a.country {
                    let shaped = c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase());
                    if !(shaped && (v.recorded || crate::import::coded::is_country_code(c))) {
                        v.fail(
                            "country",
                            c,
                            "expected an ISO 3166-1 alpha-3 code such as \"RUS\" (or XKX for Kosovo, or a former country's such as SUN)",
                        );
                    }
                }
                v.long_opt("description", a.description.as_deref());
                if let Some(q) = &a.wikidata {
                    let ok = q.len() > 1
                        && q.starts_with('Q')
                        && q[1..].bytes().all(|b| b.is_ascii_digit())
                        && !q[1..].starts_with('0');
                    if !ok {
                        v.fail(
                            "wikidata",
                            q,
                            "expected a Wikidata item id such as \"Q159\"",
                        );
                    }
                }
            }
            Event::Affiliation(a) => {
                v.opt_slug("id", a.id.as_deref());
                v.slug("actor", &a.actor);
                v.slug("org", &a.org);
                if a.org == a.actor && !v.recorded {
                    v.fail("org", &a.org, "is the actor itself");
                }
                v.short("role", &a.role, true);
                if let (Some(from), Some(until)) = (&a.from, &a.until) {
                    if from.earliest() > until.latest() {
                        v.fail(
                            "until",
                            until.as_str(),
                            &format!("ends before \"from\" ({})", from.as_str()),
                        );
                    }
                }
                v.sources(&a.sources);
            }
            Event::Statement(s) => {
                v.opt_slug("id", s.id.as_deref());
                v.slug("speaker", &s.speaker);
                v.long("text", &s.text, true);
                v.opt_short("language", s.language.as_deref());
                if let Some(o) = &s.original {
                    v.opt_short("original.language", o.language.as_deref());
                    v.long_opt("original.text", o.text.as_deref());
                }
                v.opt_short("medium", s.medium.as_deref());
                v.slugs("to", &s.to);
                v.slugs("mentions", &s.mentions);
                v.slugs("about", &s.about);
                v.opt_short("place", s.place.as_deref());
                v.sources(&s.sources);
                v.tags(&s.tags);
            }
            Event::Action(a) => {
                v.opt_slug("id", a.id.as_deref());
                v.slug("actor", &a.actor);
                v.short("kind", &a.kind, true);
                v.long("summary", &a.summary, true);
                v.slugs("targets", &a.targets);
                if let Some(c) = &a.codes {
                    v.opt_short("codes.cameo", c.cameo.as_deref());
                    v.opt_short("codes.plover", c.plover.as_deref());
                    if let Some(q) = c.quad_class {
                        if !(1..=4).contains(&q) {
                            v.fail("codes.quad_class", &q.to_string(), "expected 1, 2, 3 or 4");
                        }
                    }
                    for (field, n) in [
                        ("codes.goldstein", c.goldstein),
                        ("codes.intensity", c.intensity),
                    ] {
                        if let Some(n) = n {
                            if !n.is_finite() {
                                v.fail(field, &n.to_string(), "expected a finite number");
                            }
                        }
                    }
                }
                v.opt_short("place", a.place.as_deref());
                v.sources(&a.sources);
                v.tags(&a.tags);
            }
            Event::Correction(c) => {
                v.opt_slug("id", c.id.as_deref());
                v.slug("target", &c.target);
                if c.set.is_empty() {
                    v.fail("set", "{}", "names no field to change");
                }
                for key in c.set.keys() {
                    if matches!(key.as_str(), "type" | "id" | "target") {
                        v.fail("set", key, "this field cannot be corrected");
                    }
                }
                v.long("reason", &c.reason, true);
            }
            Event::Retraction(r) => {
                v.opt_slug("id", r.id.as_deref());
                v.slug("target", &r.target);
                v.long("reason", &r.reason, true);
            }
        }
        v.finish()
    }
}

/// A stored event whose last key is `type` (canonical JSON sorts its keys,
/// so every statement, action, correction and retraction): the object
/// without it, and the type. Read this way, the event's fields go straight
/// into their struct, where a tagged enum would first copy the whole
/// object into a buffer to find the tag. Inside a JSON string a quote is
/// always escaped, so `"type":"..."}` ending the text is the last entry of
/// the outermost object.
fn type_last(json: &str) -> Option<(String, &str)> {
    let rest = json.strip_suffix("\"}")?;
    let at = rest.rfind("\"type\":\"")?;
    let ty = &rest[at + 8..];
    if ty.contains(['"', '\\']) {
        return None;
    }
    let before = &rest[..at];
    let mut body = String::with_capacity(before.len() + 1);
    if let Some(entries) = before.strip_suffix(',') {
        body.push_str(entries);
    } else if before == "{" {
        body.push('{');
    } else {
        return None;
    }
    body.push('}');
    Some((body, ty))
}

/// The event types as stored: read without the field paths and checks that
/// user input gets, since every stored event was checked when written.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Stored {
    Actor(ActorRegistered),
    Affiliation(AffiliationDeclared),
    Statement(StatementMade),
    Action(ActionTaken),
    Correction(CorrectionIssued),
    Retraction(RetractionIssued),
}

impl Event {
    /// Read an event written by this version of demarche (fast: no field
    /// paths, no validation; dates are still parsed).
    pub fn from_stored_json(json: &str) -> Result<Event> {
        let unreadable =
            |e: serde_json::Error| Error::Damaged(format!("a stored event is unreadable: {e}"));
        if let Some((body, ty)) = type_last(json) {
            return match Event::of_type(ty, &body) {
                Some(event) => event.map_err(unreadable),
                None => Err(Error::Damaged(format!(
                    "a stored event has the type {ty:?}"
                ))),
            };
        }
        Event::from_stored_tagged(json).map_err(unreadable)
    }

    /// [`Event::from_stored_json`] for any order of keys.
    fn from_stored_tagged(json: &str) -> serde_json::Result<Event> {
        Ok(match serde_json::from_str(json)? {
            Stored::Actor(e) => Event::Actor(e),
            Stored::Affiliation(e) => Event::Affiliation(e),
            Stored::Statement(e) => Event::Statement(e),
            Stored::Action(e) => Event::Action(e),
            Stored::Correction(e) => Event::Correction(e),
            Stored::Retraction(e) => Event::Retraction(e),
        })
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Event::from_value(value).map_err(de::Error::custom)
    }
}

/// Deserialize one event type from a value, turning serde's message into one
/// that names the field path.
fn typed<T: serde::de::DeserializeOwned>(value: Value) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut path = e.path().to_string();
        let inner = e.into_inner().to_string().replace('`', "\"");
        if inner.starts_with("unknown field") {
            // The path ends with the unknown key itself; name where it sits.
            path = match path.rfind(['.', '[']) {
                Some(i) => path[..i].to_string(),
                None => String::new(),
            };
        }
        let inner = clip_quoted(&improve_unknown_field(inner));
        let msg = if path == "." || path.is_empty() {
            inner
        } else if inner.starts_with("missing field") || inner.starts_with("unknown field") {
            format!("{inner} in \"{path}\"")
        } else {
            format!("field \"{path}\": {inner}")
        };
        Error::Invalid(msg)
    })
}

/// serde lists every expected field on an unknown one; a typo deserves a
/// suggestion instead.
fn improve_unknown_field(msg: String) -> String {
    let Some(rest) = msg.strip_prefix("unknown field \"") else {
        return msg;
    };
    let Some((name, tail)) = rest.split_once('"') else {
        return msg;
    };
    let expected: Vec<&str> = tail.split('"').skip(1).step_by(2).collect();
    match closest(name, expected.iter().copied()).first() {
        Some(best) => format!("unknown field {} (did you mean \"{best}\"?)", quote(name)),
        None => format!(
            "unknown field {} (expected one of: {})",
            quote(name),
            expected.join(", ")
        ),
    }
}

/// serde quotes an offending value in full, and a value of megabytes would
/// make an error line of megabytes: keep the first 80 characters of every
/// quoted part (and of any very long part, should quotes be unbalanced).
fn clip_quoted(msg: &str) -> String {
    const KEEP: usize = 80;
    let mut out = String::with_capacity(msg.len().min(1024));
    let mut clipped = false;
    for (i, part) in msg.split('"').enumerate() {
        if i > 0 {
            out.push('"');
            if std::mem::take(&mut clipped) {
                out.push('…');
            }
        }
        match part.char_indices().nth(KEEP) {
            Some((cut, _)) if i % 2 == 1 || part.len() > 1024 => {
                out.push_str(&part[..cut]);
                clipped = true;
            }
            _ => out.push_str(part),
        }
    }
    if clipped {
        out.push('…');
    }
    out
}

/// Collects the first validation failure.
#[derive(Default)]
struct Check {
    first: Option<String>,
    /// Checking an event already recorded (an imported envelope, a stored
    /// event of an older schema): the rules every recorded event has always
    /// met, without those added since, so that an older log reads and
    /// imports again.
    recorded: bool,
}

/// The name of a checked field, spelled out only for an error message:
/// `name`, `name[i]` or `name[i].part`.
#[derive(Debug, Clone, Copy)]
struct Field<'a>(&'a str, Option<usize>, &'a str);

impl<'a> From<&'a str> for Field<'a> {
    fn from(name: &'a str) -> Self {
        Field(name, None, "")
    }
}

impl std::fmt::Display for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.1 {
            None => f.write_str(self.0),
            Some(i) if self.2.is_empty() => write!(f, "{}[{i}]", self.0),
            Some(i) => write!(f, "{}[{i}].{}", self.0, self.2),
        }
    }
}

impl Check {
    fn fail<'a>(&mut self, field: impl Into<Field<'a>>, value: &str, why: &str) {
        if self.first.is_none() {
            let field = field.into();
            self.first = Some(format!("field \"{field}\": {} {why}", quote(value)));
        }
    }

    fn slug<'a>(&mut self, field: impl Into<Field<'a>>, value: &str) {
        if !is_slug(value) {
            self.fail(
                field,
                value,
                "is not a valid id (lowercase letters, digits and '-', starting with a letter or digit, at most 64 characters)",
            );
        }
    }

    fn opt_slug(&mut self, field: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.slug(field, v);
        }
    }

    fn slugs(&mut self, field: &str, values: &[String]) {
        self.list(field, values);
        for (i, v) in values.iter().enumerate() {
            self.slug(Field(field, Some(i), ""), v);
            if !self.recorded && values[..i].contains(v) {
                self.fail(Field(field, Some(i), ""), v, "is listed twice");
            }
        }
    }

    fn list<T>(&mut self, field: &str, values: &[T]) {
        if values.len() > MAX_LIST_LEN {
            self.fail(
                field,
                &format!("{} entries", values.len()),
                &format!("is too long (at most {MAX_LIST_LEN} entries)"),
            );
        }
    }

    /// A one-line field (a name, a role, a place, a tag): not blank when
    /// required or given, no control characters (a line break would split
    /// a row of a table), and not too long.
    fn short<'a>(&mut self, field: impl Into<Field<'a>>, value: &str, required: bool) {
        // A recorded event may hold a blank optional value or a control
        // character: rules added since.
        let blank = value.trim().is_empty();
        let control = (!self.recorded)
            .then(|| value.chars().find(|c| c.is_control()))
            .flatten();
        if blank && (required || !self.recorded) {
            let why = if required {
                "must not be empty"
            } else {
                "must not be empty (leave the field out instead)"
            };
            self.fail(field, value, why);
        } else if let Some(c) = control {
            self.fail(
                field,
                value,
                &format!("contains a control character (U+{:04X})", u32::from(c)),
            );
        } else if value.len() > MAX_SHORT_BYTES {
            self.fail(
                field,
                &format!("{} bytes", value.len()),
                &format!("is too long (at most {MAX_SHORT_BYTES} bytes)"),
            );
        }
    }

    fn opt_short<'a>(&mut self, field: impl Into<Field<'a>>, value: Option<&str>) {
        if let Some(v) = value {
            self.short(field, v, false);
        }
    }

    fn long(&mut self, field: &str, value: &str, required: bool) {
        if required && value.trim().is_empty() {
            self.fail(field, value, "must not be empty");
        } else if value.len() > MAX_TEXT_BYTES {
            self.fail(
                field,
                &format!("{} bytes", value.len()),
                "is too long (at most 1 MiB)",
            );
        }
    }

    fn long_opt(&mut self, field: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.long(field, v, false);
        }
    }

    fn tags(&mut self, tags: &[String]) {
        self.list("tags", tags);
        for (i, t) in tags.iter().enumerate() {
            self.short(Field("tags", Some(i), ""), t, true);
            if t.chars().any(char::is_control) {
                self.fail(
                    Field("tags", Some(i), ""),
                    t,
                    "must not contain control characters",
                );
            }
        }
    }

    fn sources(&mut self, sources: &[Source]) {
        self.list("sources", sources);
        for (i, s) in sources.iter().enumerate() {
            self.short(Field("sources", Some(i), "outlet"), &s.outlet, true);
            self.opt_short(Field("sources", Some(i), "url"), s.url.as_deref());
        }
    }

    fn finish(self) -> Result<()> {
        match self.first {
            Some(m) => Err(Error::Invalid(m)),
            None => Ok(()),
        }
    }
}

/// Quote a value for an error message, shortened when long.
pub fn quote(value: &str) -> String {
    const MAX: usize = 80;
    if value.chars().count() > MAX {
        let cut: String = value.chars().take(MAX).collect();
        format!("{:?}…", cut)
    } else {
        format!("{value:?}")
    }
}

/// `^[a-z0-9][a-z0-9-]{0,63}$`
pub fn is_slug(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Lower-case hex of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// Canonical JSON of a value: keys sorted (serde_json's map is ordered),
/// no insignificant whitespace.
pub fn canonical(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON value read strictly: a key given twice in one object is an error.
pub struct StrictValue(pub Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key {key:?}")));
            }
            let StrictValue(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// Parse one JSON text strictly (duplicate keys and trailing characters are
/// errors). The message gives the column, since callers know the line.
pub fn parse_strict(bytes: &[u8]) -> Result<Value> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue::deserialize(&mut de)
        .and_then(|v| de.end().map(|_| v.0))
        .map_err(|e| {
            let msg = e.to_string();
            // serde_json appends " at line 1 column N"; callers add the line.
            let msg = match msg.rsplit_once(" at line ") {
                Some((head, pos)) => match pos.split_once(" column ") {
                    Some((_, col)) => format!("column {col}: {head}"),
                    None => head.to_string(),
                },
                None => msg,
            };
            Error::Invalid(format!("invalid JSON: {msg}"))
        })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(s: &str) -> Result<Event> {
        Event::from_value(parse_strict(s.as_bytes())?)
    }

    mod canonical_form {
        use super::super::*;
        use proptest::prelude::*;

        fn text() -> impl Strategy<Value = String> {
            prop_oneof![
                "[a-z]{0,6}",
                any::<String>(),
                Just("quote \" backslash \\ \u{7f} \u{2028} é".to_string()),
            ]
        }

        fn date() -> impl Strategy<Value = EdtfDate> {
            prop::sample::select(vec![
                "2017",
                "2017-09",
                "2017-09-13?",
                "2017-09/2018",
                "../2019",
                "2017-09-13T12:59:00-04:00",
            ])
            .prop_map(|d| d.parse().unwrap())
        }

        fn list() -> impl Strategy<Value = Vec<String>> {
            prop::collection::vec(text(), 0..3)
        }

        fn source() -> impl Strategy<Value = Source> {
            (
                text(),
                prop::option::of(text()),
                prop::option::of(date()),
                prop::option::of(date()),
            )
                .prop_map(|(outlet, url, published, retrieved)| Source {
                    outlet,
                    url,
                    published,
                    retrieved,
                })
        }

        fn sources() -> impl Strategy<Value = Vec<Source>> {
            prop::collection::vec(source(), 0..3)
        }

        fn float() -> impl Strategy<Value = Option<f64>> {
            prop::option::of(prop_oneof![
                any::<f64>(),
                Just(3.0),
                Just(-0.0),
                Just(f64::NAN)
            ])
        }

        fn event() -> impl Strategy<Value = Event> {
            let id = || prop::option::of(text());
            let statement = (
                (
                    id(),
                    date(),
                    text(),
                    text(),
                    prop::option::of(prop::sample::select(Form::ALL.to_vec())),
                    prop::option::of(text()),
                ),
                (
                    prop::option::of((prop::option::of(text()), prop::option::of(text()))),
                    prop::option::of(text()),
                    list(),
                    list(),
                    list(),
                ),
                (
                    prop::option::of(prop::sample::select(Stance::ALL.to_vec())),
                    prop::option::of(text()),
                    sources(),
                    list(),
                ),
            )
                .prop_map(
                    |(
                        (id, date, speaker, text, form, language),
                        (original, medium, to, mentions, about),
                        (stance, place, sources, tags),
                    )| {
                        Event::Statement(StatementMade {
                            id,
                            date,
                            speaker,
                            text,
                            form,
                            language,
                            original: original.map(|(language, text)| Original { language, text }),
                            medium,
                            to,
                            mentions,
                            about,
                            stance,
                            place,
                            sources,
                            tags,
                        })
                    },
                );
            let action = (
                (id(), date(), text(), text(), text(), list()),
                (
                    prop::option::of((
                        prop::option::of(text()),
                        prop::option::of(text()),
                        prop::option::of(any::<u8>()),
                        float(),
                        float(),
                    )),
                    prop::option::of(text()),
                    sources(),
                    list(),
                ),
            )
                .prop_map(
                    |((id, date, actor, kind, summary, targets), (codes, place, sources, tags))| {
                        Event::Action(ActionTaken {
                            id,
                            date,
                            actor,
                            kind,
                            summary,
                            targets,
                            codes: codes.map(
                                |(cameo, plover, quad_class, goldstein, intensity)| Codes {
                                    cameo,
                                    plover,
                                    quad_class,
                                    goldstein,
                                    intensity,
                                },
                            ),
                            place,
                            sources,
                            tags,
                        })
                    },
                );
            let actor = (
                text(),
                text(),
                prop::sample::select(ActorKind::ALL.to_vec()),
                list(),
                prop::option::of(text()),
                prop::option::of(text()),
                prop::option::of(text()),
            )
                .prop_map(
                    |(id, name, kind, aliases, country, description, wikidata)| {
                        Event::Actor(ActorRegistered {
                            id,
                            name,
                            kind,
                            aliases,
                            country,
                            description,
                            wikidata,
                        })
                    },
                );
            let affiliation = (
                id(),
                text(),
                text(),
                text(),
                prop::option::of(date()),
                prop::option::of(date()),
                sources(),
            )
                .prop_map(|(id, actor, org, role, from, until, sources)| {
                    Event::Affiliation(AffiliationDeclared {
                        id,
                        actor,
                        org,
                        role,
                        from,
                        until,
                        sources,
                    })
                });
            let set = prop::collection::btree_map(
                text(),
                prop_oneof![
                    Just(Value::Null),
                    text().prop_map(Value::from),
                    any::<i64>().prop_map(Value::from),
                    list().prop_map(|l| serde_json::json!({"z": l, "a": {"y": 1, "b": [null]}})),
                ],
                0..4,
            );
            let correction = (id(), text(), set, text()).prop_map(|(id, target, set, reason)| {
                Event::Correction(CorrectionIssued {
                    id,
                    target,
                    set,
                    reason,
                })
            });
            let retraction = (id(), text(), text()).prop_map(|(id, target, reason)| {
                Event::Retraction(RetractionIssued { id, target, reason })
            });
            prop_oneof![
                statement.boxed(),
                action.boxed(),
                actor.boxed(),
                affiliation.boxed(),
                correction.boxed(),
                retraction.boxed()
            ]
            .boxed()
        }

        /// The line of an event as written with its type first, then
        /// changed: a key repeated, an unknown key, a null, a space. With
        /// whether it was changed and whether it is a correction.
        fn line() -> impl Strategy<Value = (String, bool, bool)> {
            let change = prop::sample::select(vec![
                "",
                ",\"text\":\"again\"",
                ",\"id\":\"again\"",
                ",\"sources\":[]",
                ",\"unknown\":1",
                ",\"tags\":null",
                ",\"type\":\"action\"",
                " ",
            ]);
            (event(), change, any::<bool>()).prop_map(|(e, change, at_end)| {
                let mut line = serde_json::to_string(&e).unwrap();
                if at_end {
                    line.insert_str(line.len() - 1, change);
                } else if let Some(at) = line.find(',') {
                    line.insert_str(at, change);
                }
                let correction = matches!(e, Event::Correction(_));
                (line, !change.is_empty(), correction)
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]
            #[test]
            fn a_line_with_its_type_first_reads_as_the_strict_way_reads_it(
                (line, changed, correction) in line()
            ) {
                let strict = parse_strict(line.as_bytes()).and_then(Event::from_value);
                let quick = Event::type_first(line.as_bytes());
                // As written, every event but a correction is read quickly.
                prop_assert!(quick.is_some() || changed || correction, "{}", line);
                if let Some(quick) = quick {
                    let quick = quick.validate().map(|_| quick);
                    prop_assert_eq!(format!("{quick:?}"), format!("{strict:?}"), "{}", line);
                }
            }

            #[test]
            fn canonical_bytes_are_those_of_the_event_as_a_value(e in event()) {
                prop_assert_eq!(
                    String::from_utf8(e.canonical_bytes()).unwrap(),
                    String::from_utf8(canonical(&e.to_value())).unwrap()
                );
            }
        }
    }

    #[test]
    fn stored_events_read_with_the_type_last_as_with_the_type_anywhere() {
        let story = include_str!("../events/story.jsonl");
        let mut lines: Vec<String> = story
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| String::from_utf8(canonical(&parse_strict(l.as_bytes()).unwrap())).unwrap())
            .collect();
        // Quotes, escapes and a lookalike of the type entry inside strings;
        // a nested object last; the type not last (an actor's wikidata).
        lines.extend([
            r#"{"date":"2020","speaker":"a","text":"x\",\"type\":\"action\"}","type":"statement"}"#.into(),
            r#"{"date":"2020","speaker":"a","text":"ends in a backslash \\","type":"statement"}"#.into(),
            r#"{"id":"c1","reason":"r","set":{"text":"{\"type\":\"retraction\"}"},"target":"s","type":"correction"}"#.into(),
            r#"{"id":"a1","kind":"person","name":"A","type":"actor","wikidata":"Q1"}"#.into(),
            r#"{"actor":"a","org":"o","role":"r","type":"affiliation","until":"2020"}"#.into(),
        ]);
        let mut fast = 0;
        for line in &lines {
            let tagged = Event::from_stored_tagged(line).unwrap();
            assert_eq!(Event::from_stored_json(line).unwrap(), tagged, "{line}");
            // The short way exactly when no key sorts after "type".
            let value: Value = serde_json::from_str(line).unwrap();
            let last = value.as_object().unwrap().keys().max().unwrap().clone();
            assert_eq!(type_last(line).is_some(), last == "type", "{line}");
            fast += usize::from(last == "type");
        }
        assert!(fast > lines.len() / 2, "{fast} of {}", lines.len());
        // Damaged: an unknown type, a truncated object, whitespace.
        for bad in [
            r#"{"reason":"r","target":"s","type":"rumour"}"#,
            r#"{"reason":"r","target":"s","type":"retraction""#,
            r#"{"reason":"r","target":"s", "type":"retraction"}"#,
            r#"{"type":"retraction"}"#,
        ] {
            assert_eq!(
                Event::from_stored_json(bad).is_ok(),
                Event::from_stored_tagged(bad).is_ok(),
                "{bad}"
            );
        }
    }

    #[test]
    fn statement_parses_with_nulls_and_empties_as_absent() {
        let a = ev(r#"{"type":"statement","date":"2017-09-13","speaker":"peskov","text":"Yes.","to":[],"original":{"language":"ru","text":null},"place":null}"#).unwrap();
        let b = ev(r#"{"speaker":"peskov","text":"Yes.","type":"statement","date":"2017-09-13","original":{"language":"ru"}}"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.canonical_bytes(), b.canonical_bytes());
        assert_eq!(
            String::from_utf8(a.canonical_bytes()).unwrap(),
            r#"{"date":"2017-09-13","original":{"language":"ru"},"speaker":"peskov","text":"Yes.","type":"statement"}"#
        );
    }

    #[test]
    fn unknown_fields_are_named_with_a_suggestion() {
        let e = ev(r#"{"type":"statement","date":"2017","speaker":"a","text":"t","spekaer":"b"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field \"spekaer\""), "{e}");
        assert!(e.contains("did you mean \"speaker\""), "{e}");
    }

    #[test]
    fn wrong_types_name_the_field_path() {
        let e = ev(r#"{"type":"statement","date":"2017","speaker":5,"text":"t"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("field \"speaker\""), "{e}");
        let e = ev(r#"{"type":"action","date":"2017","actor":"a","kind":"k","summary":"s","sources":[{"url":"x"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing field \"outlet\""), "{e}");
        assert!(e.contains("sources[0]"), "{e}");
    }

    #[test]
    fn a_bad_entry_of_a_list_is_named_with_its_index() {
        let e = ev(r#"{"type":"statement","date":"2017","speaker":"a","text":"t","to":["b","Not A Slug"]}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("field \"to[1]\": \"Not A Slug\" is not a valid id"),
            "{e}"
        );
        let e = ev(r#"{"type":"actor","id":"a","name":"A","kind":"person","aliases":["x"," "]}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("field \"aliases[1]\": \" \" must not be empty"),
            "{e}"
        );
        let e = ev(r#"{"type":"statement","date":"2017","speaker":"a","text":"t","sources":[{"outlet":"o"},{"outlet":"o","url":"%s"}]}"#.replace("%s", &"u".repeat(MAX_SHORT_BYTES + 1)).as_str())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("field \"sources[1].url\""), "{e}");
    }

    #[test]
    fn dates_are_checked_in_place() {
        let e = ev(r#"{"type":"statement","date":"2017-02-30","speaker":"a","text":"t"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("field \"date\""), "{e}");
        assert!(e.contains("2017-02-30"), "{e}");
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let e = parse_strict(br#"{"a":1,"b":{"c":1,"c":2}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("duplicate key \"c\""), "{e}");
    }

    #[test]
    fn trailing_garbage_and_deep_nesting_are_errors() {
        assert!(parse_strict(b"{} x").is_err());
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(parse_strict(deep.as_bytes()).is_err());
    }

    #[test]
    fn slugs_follow_the_pattern() {
        assert!(is_slug("peskov"));
        assert!(is_slug("0-a"));
        assert!(!is_slug("-a"));
        assert!(!is_slug("Peskov"));
        assert!(!is_slug(&"a".repeat(65)));
        assert!(is_slug(&"a".repeat(64)));
        assert!(!is_slug(""));
    }

    #[test]
    fn bad_slugs_enums_and_codes_are_rejected() {
        for (line, needle) in [
            (
                r#"{"type":"actor","id":"Peskov","name":"P","kind":"person"}"#,
                "field \"id\"",
            ),
            (
                r#"{"type":"actor","id":"p","name":"P","kind":"robot"}"#,
                "unknown variant",
            ),
            (
                r#"{"type":"actor","id":"p","name":"P","kind":"person","country":"ru"}"#,
                "alpha-3",
            ),
            (
                r#"{"type":"action","date":"2017","actor":"a","kind":"k","summary":"s","codes":{"quad_class":7}}"#,
                "quad_class",
            ),
            (
                r#"{"type":"statement","date":"2017","speaker":"a","text":"t","stance":"agrees"}"#,
                "unknown variant",
            ),
            (
                r#"{"type":"correction","target":"x","set":{"type":"action"},"reason":"r"}"#,
                "cannot be corrected",
            ),
            (
                r#"{"type":"statement","date":"2017","speaker":"a","text":"  "}"#,
                "must not be empty",
            ),
            (r#"{"type":"rumour"}"#, "unknown event type"),
            (r#"[1]"#, "expected a JSON object"),
        ] {
            let e = ev(line).unwrap_err().to_string();
            assert!(e.contains(needle), "{line}: {e}");
        }
    }

    #[test]
    fn limits_are_enforced() {
        let text = "x".repeat(MAX_TEXT_BYTES + 1);
        let line = format!(r#"{{"type":"statement","date":"2017","speaker":"a","text":"{text}"}}"#);
        assert!(ev(&line).unwrap_err().to_string().contains("at most 1 MiB"));
        let tags: Vec<String> = (0..=MAX_LIST_LEN).map(|i| format!("\"t{i}\"")).collect();
        let line = format!(
            r#"{{"type":"statement","date":"2017","speaker":"a","text":"t","tags":[{}]}}"#,
            tags.join(",")
        );
        assert!(ev(&line)
            .unwrap_err()
            .to_string()
            .contains("at most 1000 entries"));
    }

    #[test]
    fn huge_wrong_values_are_quoted_short() {
        let y = "y".repeat(100_000);
        let kept = format!("\"{}\"…", "y".repeat(80));
        for line in [
            format!(
                r#"{{"type":"statement","date":"2017","speaker":"a","text":"t","stance":"{y}"}}"#
            ),
            format!(r#"{{"type":"statement","date":"2017","speaker":"a","text":"t","{y}":1}}"#),
            format!(r#"{{"type":"{y}"}}"#),
        ] {
            let e = ev(&line).unwrap_err().to_string();
            assert!(e.len() < 400 && e.contains(&kept), "{e}");
        }
    }

    #[test]
    fn derived_ids_are_slugs_and_chain_on_the_prior_event() {
        let a = ev(r#"{"type":"actor","id":"p","name":"P","kind":"person"}"#).unwrap();
        let first = a.derive_id(None);
        let again = a.derive_id(None);
        let later = a.derive_id(Some("actor-0000"));
        assert!(is_slug(&first), "{first}");
        assert_eq!(first, again);
        assert_ne!(first, later);
        assert!(first.starts_with("actor-"));
    }
}
