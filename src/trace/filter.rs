//! Views of a trace: the lines of some hosts, some kinds of event, some objects.

use std::fmt;

use super::TraceLine;

/// Which lines of a trace to keep. Lines are kept when they match every kind of condition
/// given (hosts, kinds, ids), and any one value of each.
///
/// ```
/// use twinreactor::trace::TraceFilter;
///
/// let filter = TraceFilter::parse("host=h1, kind=tcp, id=conn3").unwrap();
/// assert_eq!(filter, TraceFilter::new().host(1).kind("tcp").id("conn3"));
/// assert!(TraceFilter::parse("colour=red").is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceFilter {
    hosts: Vec<u32>,
    kinds: Vec<String>,
    ids: Vec<String>,
}

/// Why a filter's text could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TraceFilterError {
    /// A condition is not `key=value`.
    #[error("{0:?} is not key=value (keys: host, kind, id)")]
    Malformed(String),
    /// The key is not one of `host`, `kind`, `id`.
    #[error("unknown filter key {0:?} (keys: host, kind, id)")]
    UnknownKey(String),
    /// A host is not `h<number>` or a number.
    #[error("host {0:?} is not h<number> or a number")]
    BadHost(String),
}

impl TraceFilter {
    /// A filter that keeps every line.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps lines of host `host` (and of the other hosts named).
    pub fn host(mut self, host: u32) -> Self {
        self.hosts.push(host);
        self
    }

    /// Keeps lines of one kind: the first word of the event (`tcp`, `udp`, `process`,
    /// `timer-fired`, `note`, `phase`, ...).
    pub fn kind(mut self, kind: &str) -> Self {
        self.kinds.push(kind.to_owned());
        self
    }

    /// Keeps lines that name one object: a connection, listener, socket, process, timer or
    /// trigger, as the trace writes it (`conn3`, `lis0`, `t2`; an id's `Display`).
    pub fn id(mut self, id: impl fmt::Display) -> Self {
        self.ids.push(id.to_string());
        self
    }

    /// Reads `key=value` conditions separated by commas or spaces; keys `host` (`h1` or
    /// `1`), `kind` and `id`.
    pub fn parse(text: &str) -> Result<Self, TraceFilterError> {
        let mut filter = Self::new();
        for part in text.split([',', ' ']).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| TraceFilterError::Malformed(part.to_owned()))?;
            filter = match key {
                "host" => {
                    let n = value.strip_prefix('h').unwrap_or(value);
                    let host = n
                        .parse()
                        .map_err(|_| TraceFilterError::BadHost(value.to_owned()))?;
                    filter.host(host)
                }
                "kind" => filter.kind(value),
                "id" => filter.id(value),
                other => return Err(TraceFilterError::UnknownKey(other.to_owned())),
            };
        }
        Ok(filter)
    }

    /// Whether `line` is kept.
    pub fn keeps(&self, line: &TraceLine) -> bool {
        if !self.hosts.is_empty() && !self.hosts.contains(&line.host) {
            return false;
        }
        if self.kinds.is_empty() && self.ids.is_empty() {
            return true;
        }
        let text = line.event.to_string();
        let kind = text.split(' ').next().unwrap_or_default();
        if !self.kinds.is_empty() && !self.kinds.iter().any(|k| k == kind) {
            return false;
        }
        self.ids.is_empty()
            || text
                .split([' ', ',', '(', ')', '#'])
                .any(|word| self.ids.iter().any(|id| id == word))
    }

    /// The lines of `lines` that are kept.
    pub fn apply(&self, lines: &[TraceLine]) -> Vec<TraceLine> {
        lines.iter().filter(|l| self.keeps(l)).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{TraceFilter, TraceFilterError};
    use crate::trace::{TraceEvent, TraceLine};
    use crate::TimerId;

    fn line(host: u32, event: TraceEvent) -> TraceLine {
        TraceLine {
            at: Duration::ZERO,
            host,
            event,
        }
    }

    #[test]
    fn hosts_kinds_and_ids_narrow_the_lines() {
        let lines = [
            line(0, TraceEvent::TimerFired(TimerId::from_raw(1))),
            line(1, TraceEvent::TimerFired(TimerId::from_raw(2))),
            line(1, TraceEvent::Note("t2 is late".into())),
        ];
        assert_eq!(TraceFilter::new().host(1).apply(&lines).len(), 2);
        assert_eq!(TraceFilter::new().kind("note").apply(&lines).len(), 1);
        assert_eq!(
            TraceFilter::new()
                .id(TimerId::from_raw(2))
                .apply(&lines)
                .len(),
            1
        );
        assert_eq!(TraceFilter::new().apply(&lines).len(), 3);
    }

    #[test]
    fn bad_filter_text_is_a_typed_error() {
        assert_eq!(
            TraceFilter::parse("colour=red"),
            Err(TraceFilterError::UnknownKey("colour".into()))
        );
        assert_eq!(
            TraceFilter::parse("host"),
            Err(TraceFilterError::Malformed("host".into()))
        );
        assert_eq!(
            TraceFilter::parse("host=hx"),
            Err(TraceFilterError::BadHost("hx".into()))
        );
    }

    #[test]
    fn a_note_with_newlines_stays_one_line() {
        let text = line(0, TraceEvent::Note("a\nb\u{7}".into())).to_string();
        assert_eq!(text, "0.000000000 h0 note \"a\\nb\\u{7}\"");
    }
}
