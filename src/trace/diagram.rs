//! Sequence diagrams of a trace, as self-contained SVG or as Mermaid text.
//!
//! Hosts are lifelines, virtual time runs down the side, and each message (a datagram, a
//! TCP segment) is an arrow from the line that sent it to the line where it arrived; a lost
//! one ends in a cross. Partitions and host crashes are shaded bands; timers, the user's
//! notes and every other event are labels on their host's lifeline. A diagram shows a
//! window of the trace (by default its first [`Diagram::DEFAULT_LINES`] lines) and says
//! how many lines it left out, so a long trace never makes a huge picture.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::time::Duration;

use super::{TcpTrace, TraceEvent, TraceLine, UdpTrace};

/// Pixels between two rows.
const ROW: usize = 18;
/// Pixels between two lifelines.
const COLUMN: usize = 240;
/// Where the first lifeline is.
const LEFT: usize = 140;
/// Where the first row is.
const TOP: usize = 70;
/// Labels longer than this are cut.
const LABEL: usize = 44;

/// A sequence diagram of (a window of) a trace.
///
/// ```
/// use std::time::Duration;
/// use twinreactor::trace::{Diagram, TraceEvent, TraceLine};
///
/// let lines = vec![TraceLine { at: Duration::ZERO, host: 0, event: TraceEvent::RunBegan }];
/// let svg = Diagram::new(&lines).title("one line").svg();
/// assert!(svg.starts_with("<svg") && svg.contains("run-began"));
/// assert!(Diagram::new(&lines).mermaid().starts_with("sequenceDiagram"));
/// ```
pub struct Diagram<'a> {
    lines: &'a [TraceLine],
    window: Range<usize>,
    title: String,
}

/// Where a message was sent from, and what it is.
#[derive(Clone)]
struct Sent {
    host: u32,
    row: usize,
    to_host: Option<u32>,
    label: String,
}

/// An arrow between two lifelines.
struct Arrow {
    from: (u32, usize),
    to: (u32, usize),
    label: String,
    lost: bool,
}

/// A shaded band: a partition between two hosts, or a host that is down.
struct Band {
    hosts: (u32, u32),
    rows: Range<usize>,
    label: String,
}

/// What the window's lines come to, ready to draw.
struct Model {
    hosts: Vec<u32>,
    /// Per row: time, host, and a label unless the row only ends an arrow.
    rows: Vec<(Duration, u32, Option<String>)>,
    arrows: Vec<Arrow>,
    bands: Vec<Band>,
}

impl<'a> Diagram<'a> {
    /// Lines shown when no window is chosen.
    pub const DEFAULT_LINES: usize = 400;

    /// A diagram of `lines`, showing the first [`Diagram::DEFAULT_LINES`].
    pub fn new(lines: &'a [TraceLine]) -> Self {
        Self {
            lines,
            window: 0..lines.len().min(Self::DEFAULT_LINES),
            title: String::new(),
        }
    }

    /// Shows lines `range` (by position; clamped to the trace).
    pub fn window(mut self, range: Range<usize>) -> Self {
        let end = range.end.min(self.lines.len());
        self.window = range.start.min(end)..end;
        self
    }

    /// Shows the last `n` lines.
    pub fn last(self, n: usize) -> Self {
        let len = self.lines.len();
        self.window(len.saturating_sub(n)..len)
    }

    /// Shows the lines from virtual time `from` up to (not including) `to`.
    pub fn between(self, from: Duration, to: Duration) -> Self {
        let start = self.lines.partition_point(|l| l.at < from);
        let end = self.lines.partition_point(|l| l.at < to);
        self.window(start..end)
    }

    /// A title above the diagram.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// What the window leaves out, in words.
    fn extent(&self) -> String {
        let Range { start, end } = self.window;
        let total = self.lines.len();
        if start == 0 && end == total {
            format!("all {total} lines")
        } else {
            format!(
                "lines {start}..{end} of {total} ({start} before and {} after not shown)",
                total - end
            )
        }
    }

    fn model(&self) -> Model {
        let lines = &self.lines[self.window.clone()];
        let mut hosts: Vec<u32> = lines.iter().map(|l| l.host).collect();
        let mut sent: BTreeMap<u64, Sent> = BTreeMap::new();
        let mut arrows = Vec::new();
        let mut bands = Vec::new();
        let mut open: BTreeMap<(u32, u32), (usize, String)> = BTreeMap::new();
        let mut rows = Vec::with_capacity(lines.len());
        for (row, line) in lines.iter().enumerate() {
            let host = line.host;
            let mut label = None;
            let mut arrive = |msg: u64, lost: Option<String>, to_host: Option<u32>| {
                if let Some(s) = sent.get(&msg) {
                    let to = to_host.or(s.to_host).unwrap_or(host);
                    arrows.push(Arrow {
                        from: (s.host, s.row),
                        to: (to, row),
                        lost: lost.is_some(),
                        label: lost.map_or_else(
                            || s.label.clone(),
                            |why| format!("{} lost ({why})", s.label),
                        ),
                    });
                }
            };
            match &line.event {
                TraceEvent::Udp(UdpTrace::Sent { to, len, msg, .. }) => {
                    sent.insert(
                        *msg,
                        Sent {
                            host,
                            row,
                            to_host: None,
                            label: format!("m{msg} {len}B to {to}"),
                        },
                    );
                }
                TraceEvent::Udp(UdpTrace::Datagram { msg: Some(m), .. }) => arrive(*m, None, None),
                TraceEvent::Udp(UdpTrace::Lost {
                    msg,
                    to_host,
                    cause,
                }) => {
                    arrive(*msg, Some(cause.to_string()), to_host.or(Some(host)));
                }
                TraceEvent::Tcp(TcpTrace::Sent {
                    segment,
                    msg,
                    to_host,
                    ..
                }) => {
                    hosts.push(*to_host);
                    sent.insert(
                        *msg,
                        Sent {
                            host,
                            row,
                            to_host: Some(*to_host),
                            label: format!("m{msg} {segment}"),
                        },
                    );
                }
                TraceEvent::Tcp(TcpTrace::Arrived { msgs }) => {
                    for m in msgs {
                        arrive(*m, None, Some(host));
                    }
                }
                TraceEvent::Tcp(TcpTrace::Lost { msg, cause }) => {
                    arrive(*msg, Some(cause.to_string()), None);
                }
                TraceEvent::Partition { from, to, blocked } => {
                    let key = (*from, *to);
                    hosts.extend([*from, *to]);
                    if *blocked {
                        open.insert(key, (row, format!("partition h{from}->h{to}")));
                    } else if let Some((start, label)) = open.remove(&key) {
                        bands.push(Band {
                            hosts: key,
                            rows: start..row,
                            label,
                        });
                    }
                    label = Some(line.event.to_string());
                }
                TraceEvent::HostPower { host: h, up } => {
                    hosts.push(*h);
                    if *up {
                        if let Some((start, label)) = open.remove(&(*h, *h)) {
                            bands.push(Band {
                                hosts: (*h, *h),
                                rows: start..row,
                                label,
                            });
                        }
                    } else {
                        open.insert((*h, *h), (row, format!("h{h} down")));
                    }
                    label = Some(line.event.to_string());
                }
                event => label = Some(cut(&event.to_string())),
            }
            rows.push((line.at, host, label));
        }
        // Bands still open run to the end of the window.
        for (hosts, (start, label)) in open {
            bands.push(Band {
                hosts,
                rows: start..rows.len(),
                label,
            });
        }
        hosts.sort_unstable();
        hosts.dedup();
        if hosts.is_empty() {
            hosts.push(0);
        }
        Model {
            hosts,
            rows,
            arrows,
            bands,
        }
    }

    /// The diagram as a self-contained SVG document.
    pub fn svg(&self) -> String {
        let m = self.model();
        let x = |host: u32| {
            let column = m.hosts.iter().position(|&h| h == host).unwrap_or_default();
            LEFT + column * COLUMN
        };
        let y = |row: usize| TOP + row * ROW;
        let width = LEFT + m.hosts.len() * COLUMN;
        let height = TOP + m.rows.len().max(1) * ROW + ROW;
        let mut out = String::new();
        let w = &mut out;
        // `push` keeps the lines below short.
        let push = |w: &mut String, s: String| w.push_str(&s);
        push(
            w,
            format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
             viewBox=\"0 0 {width} {height}\" font-family=\"monospace\" font-size=\"11\">\n"
            ),
        );
        w.push_str(
            "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
             markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" \
             fill=\"#333\"/></marker></defs>\n",
        );
        push(
            w,
            format!("<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"),
        );
        let heading = if self.title.is_empty() {
            self.extent()
        } else {
            format!("{}: {}", self.title, self.extent())
        };
        push(
            w,
            format!(
                "<text x=\"10\" y=\"20\" font-size=\"13\">{}</text>\n",
                xml(&heading)
            ),
        );
        for band in &m.bands {
            let (a, b) = (
                x(band.hosts.0).min(x(band.hosts.1)),
                x(band.hosts.0).max(x(band.hosts.1)),
            );
            let (top, bottom) = (y(band.rows.start) - ROW / 2, y(band.rows.end) - ROW / 2);
            push(
                w,
                format!(
                    "<rect x=\"{}\" y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"#f2b8b8\" \
                 fill-opacity=\"0.35\"><title>{}</title></rect>\n",
                    a - 20,
                    b - a + 40,
                    bottom.saturating_sub(top).max(2),
                    xml(&band.label)
                ),
            );
        }
        for &h in &m.hosts {
            let hx = x(h);
            push(w, format!(
                "<text x=\"{hx}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">h{h}</text>\n\
                 <line x1=\"{hx}\" y1=\"{}\" x2=\"{hx}\" y2=\"{}\" stroke=\"#999\" \
                 stroke-dasharray=\"4 3\"/>\n",
                TOP - 25,
                TOP - 15,
                height - ROW / 2
            ));
        }
        let mut last_time = None;
        for (row, (at, host, label)) in m.rows.iter().enumerate() {
            let ry = y(row);
            if last_time != Some(*at) {
                last_time = Some(*at);
                push(
                    w,
                    format!(
                        "<text x=\"8\" y=\"{}\" fill=\"#555\">{}.{:09}</text>\n",
                        ry + 4,
                        at.as_secs(),
                        at.subsec_nanos()
                    ),
                );
            }
            if let Some(label) = label {
                let hx = x(*host);
                push(
                    w,
                    format!(
                        "<circle cx=\"{hx}\" cy=\"{ry}\" r=\"2.5\" fill=\"#333\"/>\
                     <text x=\"{}\" y=\"{}\">{}</text>\n",
                        hx + 6,
                        ry + 4,
                        xml(label)
                    ),
                );
            }
        }
        for a in &m.arrows {
            let (x1, y1, x2, y2) = (x(a.from.0), y(a.from.1), x(a.to.0), y(a.to.1));
            let (x2, y2) = if x1 == x2 && y1 == y2 {
                (x1 + 30, y1 + ROW / 2)
            } else {
                (x2, y2)
            };
            let label_at = ((x1 + x2) / 2 + 4, (y1 + y2) / 2 - 3);
            if a.lost {
                let (mx, my) = ((x1 + x2) / 2, (y1 + y2) / 2);
                push(
                    w,
                    format!(
                        "<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{mx}\" y2=\"{my}\" stroke=\"#c33\" \
                     stroke-dasharray=\"5 3\"/><path d=\"M{} {} L{} {} M{} {} L{} {}\" \
                     stroke=\"#c33\" stroke-width=\"2\"/>\n",
                        mx - 5,
                        my - 5,
                        mx + 5,
                        my + 5,
                        mx - 5,
                        my + 5,
                        mx + 5,
                        my - 5
                    ),
                );
            } else {
                push(
                    w,
                    format!(
                        "<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"#333\" \
                     marker-end=\"url(#arrow)\"/>\n"
                    ),
                );
            }
            let colour = if a.lost { "#c33" } else { "#225" };
            push(
                w,
                format!(
                    "<text x=\"{}\" y=\"{}\" fill=\"{colour}\" font-size=\"10\">{}</text>\n",
                    label_at.0,
                    label_at.1,
                    xml(&cut(&a.label))
                ),
            );
        }
        w.push_str("</svg>\n");
        out
    }

    /// The diagram as Mermaid `sequenceDiagram` text (for places that render Mermaid).
    /// Mermaid draws an arrow at one point in time: each message appears where it arrived
    /// (or was lost), labelled with its send time.
    pub fn mermaid(&self) -> String {
        let m = self.model();
        let mut out = String::from("sequenceDiagram\n");
        let text = |s: &str| s.replace([';', '#', '\n'], " ");
        // Writing to a String cannot fail.
        let _ = writeln!(out, "    %% {}", text(&self.extent()));
        for h in &m.hosts {
            let _ = writeln!(out, "    participant h{h}");
        }
        let mut by_row: BTreeMap<usize, Vec<&Arrow>> = BTreeMap::new();
        for a in &m.arrows {
            by_row.entry(a.to.1).or_default().push(a);
        }
        for (row, (at, host, label)) in m.rows.iter().enumerate() {
            if let Some(label) = label {
                let at = format!("{}.{:09}", at.as_secs(), at.subsec_nanos());
                let _ = writeln!(out, "    Note over h{host}: {at} {}", text(label));
            }
            for a in by_row.get(&row).into_iter().flatten() {
                let arrow = if a.lost { "-x" } else { "->>" };
                let _ = writeln!(
                    out,
                    "    h{}{arrow}h{}: {}",
                    a.from.0,
                    a.to.0,
                    text(&a.label)
                );
            }
        }
        out
    }
}

/// `text`, cut to [`LABEL`] characters.
fn cut(text: &str) -> String {
    if text.chars().count() <= LABEL {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(LABEL - 1).collect();
        short.push('…');
        short
    }
}

/// `text` escaped for XML.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
