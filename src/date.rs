// TEMPORARY placeholder until the real module lands.
use serde::{Deserialize, Serialize};
pub const OPEN_START: i64 = i64::MIN;
pub const OPEN_END: i64 = i64::MAX;
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdtfDate { s: String, e: i64, l: i64 }
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid date \"{value}\": {reason}")]
pub struct DateError { pub value: String, pub reason: String }
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderKey { pub earliest: i64, pub latest_desc: std::cmp::Reverse<i64>, pub qualified: bool }
impl OrderKey { pub fn to_bytes(&self) -> [u8; 17] { let mut b = [0u8;17]; b[..8].copy_from_slice(&((self.earliest as u64) ^ (1<<63)).to_be_bytes()); b[8..16].copy_from_slice(&(!((self.latest_desc.0 as u64) ^ (1<<63))).to_be_bytes()); b[16]=self.qualified as u8; b } }
#[derive(Debug, Clone, Default)]
pub struct DateRange { pub since: Option<EdtfDate>, pub until: Option<EdtfDate> }
impl DateRange { pub fn is_unbounded(&self) -> bool { self.since.is_none() && self.until.is_none() } pub fn window(&self) -> (i64,i64) { (self.since.as_ref().map_or(OPEN_START, |d| d.e), self.until.as_ref().map_or(OPEN_END, |d| d.l)) } }
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Within { Certain, Possible }
impl EdtfDate {
  pub fn parse(s: &str) -> Result<EdtfDate, DateError> { use chrono::{NaiveDate}; let d = NaiveDate::parse_from_str(&format!("{s}-01-01")[..10], "%Y-%m-%d").map_err(|_| DateError{value:s.into(), reason:"bad".into()})?; let e = d.and_hms_opt(0,0,0).unwrap().and_utc().timestamp_millis(); Ok(EdtfDate{s:s.into(), e, l: e + 86_399_999}) }
  pub fn as_str(&self) -> &str { &self.s }
  pub fn earliest(&self) -> i64 { self.e } pub fn latest(&self) -> i64 { self.l }
  pub fn is_qualified(&self) -> bool { false }
  pub fn order_key(&self) -> OrderKey { OrderKey{ earliest: self.e, latest_desc: std::cmp::Reverse(self.l), qualified: false} }
  pub fn display(&self) -> String { self.s.clone() }
  pub fn within(&self, r: &DateRange) -> Option<Within> { let (a,b) = r.window(); if self.l < a || self.e > b { None } else if self.e >= a && self.l <= b { Some(Within::Certain) } else { Some(Within::Possible) } }
  pub fn first_day(&self) -> Option<String> { None } pub fn last_day(&self) -> Option<String> { None }
}
impl std::fmt::Display for EdtfDate { fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { f.write_str(&self.s) } }
impl Serialize for EdtfDate { fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(&self.s) } }
impl<'de> Deserialize<'de> for EdtfDate { fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> { let s = String::deserialize(d)?; EdtfDate::parse(&s).map_err(serde::de::Error::custom) } }
