//! Runs STF commands against a switch.

use std::collections::BTreeMap;

use ddsr_pipeline::entry::{ActionCall, EntryAction, FieldMatch, TableEntry};
use ddsr_pipeline::pre::{CloneSession, MulticastGroup, Replica};
use ddsr_pipeline::table::MatchKind;
use ddsr_pipeline::value::{mask, to_bytes};
use ddsr_pipeline::{Handle, Table};

use super::parse::{Command, Expect, KeyText, Line, number};
use crate::switch::{Output, Switch};

/// The outcome of a run: empty `failures` means the test passed.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub failures: Vec<String>,
    pub packets_in: usize,
    pub packets_out: usize,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Finds `wanted` among `names` exactly or as the unique dotted suffix of one.
pub fn resolve<'n>(
    kind: &str,
    names: impl Iterator<Item = &'n str>,
    wanted: &str,
) -> Result<usize, String> {
    let names: Vec<&str> = names.collect();
    if let Some(i) = names.iter().position(|n| *n == wanted) {
        return Ok(i);
    }
    let hits: Vec<(usize, &str)> = names
        .into_iter()
        .enumerate()
        .filter(|(_, n)| n.ends_with(wanted) && n[..n.len() - wanted.len()].ends_with('.'))
        .collect();
    match hits.as_slice() {
        [(i, _)] => Ok(*i),
        [] => Err(format!("no {kind} named `{wanted}`")),
        many => Err(format!(
            "`{wanted}` is ambiguous: {}",
            many.iter()
                .map(|(_, n)| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Runs `cmds` on `sw` and checks every port's packets against the expectations.
pub fn run(sw: &mut Switch, cmds: &[Line]) -> Report {
    let mut report = Report::default();
    let mut got: BTreeMap<u16, Vec<Vec<u8>>> = BTreeMap::new();
    let mut want: BTreeMap<u16, Vec<(usize, Expect)>> = BTreeMap::new();
    let mut nodes: Vec<(u16, Vec<u16>)> = Vec::new();
    let mut groups: BTreeMap<u16, Vec<Replica>> = BTreeMap::new();
    let mut out = Output::default();
    let mut now = 0u64;
    for Line { line, command } in cmds {
        let r = step(
            sw,
            *line,
            command,
            &mut out,
            &mut now,
            &mut got,
            &mut want,
            &mut nodes,
            &mut groups,
            &mut report,
        );
        if let Err(m) = r {
            report.failures.push(format!("line {line}: {m}"));
        }
    }
    let ports: std::collections::BTreeSet<u16> = got.keys().chain(want.keys()).copied().collect();
    for port in ports {
        let g = got.get(&port).map(Vec::as_slice).unwrap_or(&[]);
        let w = want.get(&port).map(Vec::as_slice).unwrap_or(&[]);
        for i in 0..g.len().max(w.len()) {
            match (w.get(i), g.get(i)) {
                (Some((line, e)), Some(p)) => {
                    if let Some(d) = diff(e, p) {
                        report.failures.push(format!(
                            "port {port}, packet {} (expected at line {line}) differs:\n{d}",
                            i + 1
                        ));
                    }
                }
                (Some((line, e)), None) => report.failures.push(format!(
                    "port {port}: missing packet {} (expected at line {line}): {}",
                    i + 1,
                    show_expect(e)
                )),
                (None, Some(p)) => report.failures.push(format!(
                    "port {port}: unexpected packet {}: {}",
                    i + 1,
                    ddsr_pipeline::value::encode(p)
                )),
                (None, None) => {}
            }
        }
    }
    report
}

#[allow(clippy::too_many_arguments)]
fn step(
    sw: &mut Switch,
    line: usize,
    command: &Command,
    out: &mut Output,
    now: &mut u64,
    got: &mut BTreeMap<u16, Vec<Vec<u8>>>,
    want: &mut BTreeMap<u16, Vec<(usize, Expect)>>,
    nodes: &mut Vec<(u16, Vec<u16>)>,
    groups: &mut BTreeMap<u16, Vec<Replica>>,
    report: &mut Report,
) -> Result<(), String> {
    match command {
        Command::Add {
            table,
            priority,
            keys,
            action,
            args,
        } => {
            let e = entry(sw, table, *priority, keys, Some((action, args)))?;
            sw.insert(e).map_err(|e| e.to_string())
        }
        Command::Remove {
            table,
            priority,
            keys,
        } => {
            let e = entry(sw, table, *priority, keys, None)?;
            sw.delete(&e).map_err(|e| e.to_string())
        }
        Command::SetDefault {
            table,
            action,
            args,
        } => {
            let t = table_handle(sw, table)?;
            let call = call(sw, &sw.pipeline().tables[t], action, args)?;
            sw.set_default(t, call).map_err(|e| e.to_string())
        }
        Command::Packet { port, data } => {
            out.clear();
            *now += 1_000;
            sw.process(*port, data, *now, out, None);
            report.packets_in += 1;
            for p in out.packets() {
                got.entry(p.port).or_default().push(p.data.clone());
                report.packets_out += 1;
            }
            Ok(())
        }
        Command::Expect { port, expect } => {
            want.entry(*port).or_default().push((line, expect.clone()));
            Ok(())
        }
        Command::NoPacket | Command::Wait => Ok(()),
        Command::CheckCounter {
            counter,
            index,
            packets,
            op,
            value,
        } => {
            let p = sw.pipeline();
            let i = resolve(
                "counter",
                p.externs.iter().map(|(_, e)| e.name.as_str()),
                counter,
            )?;
            let name = p.externs[Handle::new(i as u32)].name.clone();
            let c = sw.counter(&name, *index).map_err(|e| e.to_string())?;
            let have = if *packets { c.packets } else { c.bytes };
            let ok = match op.as_str() {
                "==" => have == *value,
                "!=" => have != *value,
                "<" => have < *value,
                "<=" => have <= *value,
                ">" => have > *value,
                _ => have >= *value,
            };
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "counter `{name}`[{index}] is {have}, expected {op} {value}"
                ))
            }
        }
        Command::McGroupCreate { group } => {
            groups.insert(*group, Vec::new());
            sw.set_multicast_group(MulticastGroup {
                group: *group,
                replicas: Vec::new(),
            })
            .map_err(|e| e.to_string())
        }
        Command::McNodeCreate { rid, ports } => {
            nodes.push((*rid, ports.clone()));
            Ok(())
        }
        Command::McNodeAssociate { group, node } => {
            let (rid, ports) = nodes
                .get(*node as usize)
                .ok_or_else(|| format!("no multicast node {node}"))?;
            let g = groups
                .get_mut(group)
                .ok_or_else(|| format!("no multicast group {group}"))?;
            g.extend(ports.iter().map(|p| Replica {
                port: *p,
                rid: *rid,
            }));
            sw.set_multicast_group(MulticastGroup {
                group: *group,
                replicas: g.clone(),
            })
            .map_err(|e| e.to_string())
        }
        Command::MirroringAdd { session, port } => {
            sw.set_clone_session(CloneSession {
                session: *session,
                replicas: vec![Replica {
                    port: *port,
                    rid: 0,
                }],
                truncate_bytes: None,
            });
            Ok(())
        }
        Command::RegisterRead {
            register,
            index,
            value,
        } => {
            let name = extern_name(sw, register)?;
            let have = sw.register_read(&name, *index).map_err(|e| e.to_string())?;
            if have == *value {
                Ok(())
            } else {
                Err(format!(
                    "register `{name}`[{index}] is {have:#x}, expected {value:#x}"
                ))
            }
        }
        Command::RegisterWrite {
            register,
            index,
            value,
        } => {
            let name = extern_name(sw, register)?;
            sw.register_write(&name, *index, *value)
                .map_err(|e| e.to_string())
        }
    }
}

fn extern_name(sw: &Switch, wanted: &str) -> Result<String, String> {
    let p = sw.pipeline();
    let i = resolve(
        "extern",
        p.externs.iter().map(|(_, e)| e.name.as_str()),
        wanted,
    )?;
    Ok(p.externs[Handle::new(i as u32)].name.clone())
}

fn table_handle(sw: &Switch, name: &str) -> Result<Handle<Table>, String> {
    let p = sw.pipeline();
    resolve("table", p.tables.iter().map(|(_, t)| t.name.as_str()), name)
        .map(|i| Handle::new(i as u32))
}

fn call(sw: &Switch, t: &Table, action: &str, args: &[KeyText]) -> Result<ActionCall, String> {
    let p = sw.pipeline();
    let names: Vec<&str> = t
        .actions
        .iter()
        .map(|r| p.actions[r.action].name.as_str())
        .collect();
    let i = resolve("action of this table", names.iter().copied(), action)?;
    let ah = t.actions[i].action;
    let a = &p.actions[ah];
    let mut out = Vec::new();
    for prm in &a.params {
        let arg = args
            .iter()
            .find(|k| k.name == prm.name)
            .ok_or_else(|| format!("action `{}` needs the argument `{}`", a.name, prm.name))?;
        let v = number(&arg.value)?;
        if v & !mask(prm.width) != 0 {
            return Err(format!(
                "argument `{}` = {} does not fit bit<{}>",
                prm.name, arg.value, prm.width
            ));
        }
        out.push(to_bytes(v, prm.width));
    }
    if let Some(extra) = args
        .iter()
        .find(|k| !a.params.iter().any(|p| p.name == k.name))
    {
        return Err(format!(
            "action `{}` has no parameter `{}`",
            a.name, extra.name
        ));
    }
    Ok(ActionCall {
        action: ah,
        args: out,
    })
}

fn entry(
    sw: &Switch,
    table: &str,
    priority: Option<i32>,
    keys: &[KeyText],
    action: Option<(&String, &Vec<KeyText>)>,
) -> Result<TableEntry, String> {
    let th = table_handle(sw, table)?;
    let t = &sw.pipeline().tables[th];
    let mut matches: Vec<Option<FieldMatch>> = vec![None; t.keys.len()];
    for k in keys {
        let i = resolve("key", t.keys.iter().map(|k| k.name.as_str()), &k.name)?;
        matches[i] = Some(field_match(
            t.keys[i].match_kind,
            t.keys[i].width,
            &k.value,
        )?);
    }
    let matches = matches
        .into_iter()
        .zip(&t.keys)
        .map(|(m, k)| {
            m.or_else(|| FieldMatch::wildcard(k.match_kind, k.width))
                .ok_or_else(|| format!("the exact key `{}` needs a value", k.name))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let priority = if t.needs_priority() {
        priority.unwrap_or(1)
    } else {
        0
    };
    let action = match action {
        Some((a, args)) => EntryAction::Action(call(sw, t, a, args)?),
        None => EntryAction::Action(t.default_action.clone()),
    };
    Ok(TableEntry {
        table: th,
        matches,
        priority,
        action,
    })
}

/// A key value in STF spelling for a key of `kind` and `width`.
fn field_match(kind: MatchKind, width: u16, text: &str) -> Result<FieldMatch, String> {
    let m = mask(width);
    let fit = |v: u128| {
        if v & !m != 0 {
            Err(format!("`{text}` does not fit {width} bits"))
        } else {
            Ok(to_bytes(v, width))
        }
    };
    match kind {
        MatchKind::Exact => Ok(FieldMatch::Exact {
            value: fit(number(text)?)?,
        }),
        MatchKind::Lpm => {
            let (v, len) = match text.split_once('/') {
                Some((v, l)) => (number(v)?, number(l)? as u16),
                None => (number(text)?, width),
            };
            if len > width {
                return Err(format!("prefix length {len} exceeds {width}"));
            }
            let pm = ddsr_pipeline::entry::prefix_mask(len, width);
            Ok(FieldMatch::Lpm {
                value: fit(v & pm)?,
                prefix_len: len,
            })
        }
        MatchKind::Ternary => {
            let (v, mk) = if let Some((v, mk)) = text.split_once("&&&") {
                (number(v)?, number(mk)?)
            } else if text.contains('*') {
                wildcard_nibbles(text)?
            } else {
                (number(text)?, m)
            };
            Ok(FieldMatch::Ternary {
                value: fit(v & mk & m)?,
                mask: fit(mk & m)?,
            })
        }
        MatchKind::Range => {
            let (lo, hi) = match text.split_once("->").or_else(|| text.split_once("..")) {
                Some((a, b)) => (number(a)?, number(b)?),
                None => {
                    let v = number(text)?;
                    (v, v)
                }
            };
            Ok(FieldMatch::Range {
                low: fit(lo)?,
                high: fit(hi)?,
            })
        }
        MatchKind::Optional => Ok(FieldMatch::Optional {
            value: if text == "*" {
                None
            } else {
                Some(fit(number(text)?)?)
            },
        }),
    }
}

/// `0x0a**` as value 0x0a00 and mask 0xff00.
fn wildcard_nibbles(text: &str) -> Result<(u128, u128), String> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    if digits.len() > 32 {
        return Err(format!("`{text}` has more than 32 nibbles"));
    }
    let (mut v, mut mk) = (0u128, 0u128);
    for c in digits.chars() {
        v <<= 4;
        mk <<= 4;
        match c {
            '*' => {}
            c => {
                let d = c
                    .to_digit(16)
                    .ok_or_else(|| format!("expected hex digits or `*`, found `{c}`"))?;
                v |= u128::from(d);
                mk |= 0xf;
            }
        }
    }
    Ok((v, mk))
}

fn show_expect(e: &Expect) -> String {
    let mut s: String = e
        .nibbles
        .iter()
        .map(|n| n.map_or('*', |d| char::from_digit(u32::from(d), 16).unwrap_or('?')))
        .collect();
    if e.exact_len {
        s.push('$');
    }
    s
}

/// `None` when `actual` satisfies `e`, else a byte-by-byte comparison marking the differences.
pub fn diff(e: &Expect, actual: &[u8]) -> Option<String> {
    let n = e.nibbles.len() / 2;
    let byte_ok = |i: usize| -> bool {
        let Some(a) = actual.get(i) else { return false };
        let (hi, lo) = (e.nibbles[2 * i], e.nibbles[2 * i + 1]);
        hi.is_none_or(|h| h == a >> 4) && lo.is_none_or(|l| l == a & 0xf)
    };
    let len_ok = if e.exact_len {
        actual.len() == n
    } else {
        actual.len() >= n
    };
    if len_ok && (0..n).all(byte_ok) {
        return None;
    }
    let mut out = format!(
        "  expected {} bytes{}, found {}\n",
        n,
        if e.exact_len { "" } else { " (or more)" },
        actual.len()
    );
    let rows = n.max(actual.len()).div_ceil(16);
    for r in 0..rows {
        let (mut exp, mut act, mut mark) = (String::new(), String::new(), String::new());
        for i in r * 16..(r * 16 + 16).min(n.max(actual.len())) {
            let ex = if i < n {
                format!(
                    "{}{}",
                    e.nibbles[2 * i]
                        .map_or('*', |d| char::from_digit(u32::from(d), 16).unwrap_or('?')),
                    e.nibbles[2 * i + 1]
                        .map_or('*', |d| char::from_digit(u32::from(d), 16).unwrap_or('?'))
                )
            } else {
                "  ".into()
            };
            let ac = actual.get(i).map_or("  ".into(), |b| format!("{b:02x}"));
            let bad = if i < n { !byte_ok(i) } else { e.exact_len };
            exp.push_str(&ex);
            exp.push(' ');
            act.push_str(&ac);
            act.push(' ');
            mark.push_str(if bad { "^^ " } else { "   " });
        }
        out.push_str(&format!(
            "  {:04x} expected {}\n  {:04x} actual   {}\n                {}\n",
            r * 16,
            exp.trim_end(),
            r * 16,
            act.trim_end(),
            mark.trim_end()
        ));
    }
    Some(out)
}
