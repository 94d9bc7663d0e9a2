//! Runs STF commands against a switch.

use std::collections::BTreeMap;

use ddsr_pipeline::entry::{
    ActionCall, EntryAction, FieldMatch, ProfileGroup, ProfileMember, TableEntry,
};
use ddsr_pipeline::externs::Extern;
use ddsr_pipeline::pre::{CloneSession, MulticastGroup, Replica};
use ddsr_pipeline::table::{Implementation, MatchKind};
use ddsr_pipeline::value::{mask, to_bytes};
use ddsr_pipeline::{Handle, Table};

use super::parse::{Command, Expect, KeyText, Line, number};
use crate::externs::meter::MeterConfig;
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

/// What a run has seen and expects so far.
#[derive(Default)]
struct State {
    out: Output,
    now: u64,
    got: BTreeMap<u16, Vec<Vec<u8>>>,
    want: BTreeMap<u16, Vec<(usize, Expect)>>,
    nodes: Vec<(u16, Vec<u16>)>,
    groups: BTreeMap<u16, Vec<Replica>>,
    /// Digests as `NAME v1 v2 ...` and log lines, in the order packets produced them.
    got_digests: Vec<String>,
    want_digests: Vec<(usize, String)>,
    got_logs: Vec<String>,
    want_logs: Vec<(usize, String)>,
}

/// Runs `cmds` on `sw` and checks every port's packets against the expectations, and the
/// digests and log lines against `expect_digest` / `expect_log` (in order and in number too).
pub fn run(sw: &mut Switch, cmds: &[Line]) -> Report {
    let mut report = Report::default();
    let mut st = State::default();
    for Line { line, command } in cmds {
        if let Err(m) = step(sw, *line, command, &mut st, &mut report) {
            report.failures.push(format!("line {line}: {m}"));
        }
    }
    let ports: std::collections::BTreeSet<u16> =
        st.got.keys().chain(st.want.keys()).copied().collect();
    for port in ports {
        let g = st.got.get(&port).map(Vec::as_slice).unwrap_or(&[]);
        let w = st.want.get(&port).map(Vec::as_slice).unwrap_or(&[]);
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
    compare_lines("digest", &st.want_digests, &st.got_digests, &mut report);
    compare_lines("log", &st.want_logs, &st.got_logs, &mut report);
    report
}

fn compare_lines(kind: &str, want: &[(usize, String)], got: &[String], report: &mut Report) {
    for i in 0..want.len().max(got.len()) {
        match (want.get(i), got.get(i)) {
            (Some((line, w)), Some(g)) if w != g => report.failures.push(format!(
                "{kind} {} (expected at line {line}) differs: expected `{w}`, found `{g}`",
                i + 1
            )),
            (Some((line, w)), None) => report.failures.push(format!(
                "missing {kind} {} (expected at line {line}): `{w}`",
                i + 1
            )),
            (None, Some(g)) => report
                .failures
                .push(format!("unexpected {kind} {}: `{g}`", i + 1)),
            _ => {}
        }
    }
}

fn step(
    sw: &mut Switch,
    line: usize,
    command: &Command,
    st: &mut State,
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
            st.out.clear();
            st.now += 1_000;
            sw.process(*port, data, st.now, &mut st.out, None);
            report.packets_in += 1;
            for p in st.out.packets() {
                st.got.entry(p.port).or_default().push(p.data.clone());
                report.packets_out += 1;
            }
            for d in &st.out.digests {
                let mut text = sw.pipeline().externs[d.digest].name.clone();
                for v in &d.values {
                    text.push_str(&format!(" {v:#x}"));
                }
                st.got_digests.push(text);
            }
            st.got_logs.extend(st.out.logs.iter().cloned());
            Ok(())
        }
        Command::Expect { port, expect } => {
            st.want
                .entry(*port)
                .or_default()
                .push((line, expect.clone()));
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
            let name = extern_name(sw, counter)?;
            let c = sw.counter(&name, *index).map_err(|e| e.to_string())?;
            let have = if *packets { c.packets } else { c.bytes };
            compare(have, op, *value)
                .map_err(|_| format!("counter `{name}`[{index}] is {have}, expected {op} {value}"))
        }
        Command::McGroupCreate { group } => {
            st.groups.insert(*group, Vec::new());
            sw.set_multicast_group(MulticastGroup {
                group: *group,
                replicas: Vec::new(),
            })
            .map_err(|e| e.to_string())
        }
        Command::McNodeCreate { rid, ports } => {
            st.nodes.push((*rid, ports.clone()));
            Ok(())
        }
        Command::McNodeAssociate { group, node } => {
            let (rid, ports) = st
                .nodes
                .get(*node as usize)
                .ok_or_else(|| format!("no multicast node {node}"))?;
            let g = st
                .groups
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
        Command::MemberAdd {
            profile,
            member,
            action,
            args,
        } => {
            let h = profile_handle(sw, profile)?;
            let t = sw
                .pipeline()
                .tables
                .iter()
                .find(|(_, t)| match t.implementation {
                    Implementation::ActionProfile(p) | Implementation::ActionSelector(p) => p == h,
                    Implementation::Direct => false,
                })
                .map(|(_, t)| t)
                .ok_or_else(|| format!("no table uses the action profile `{profile}`"))?;
            let action = call(sw, t, action, args)?;
            sw.insert_member(ProfileMember {
                profile: h,
                member: *member,
                action,
            })
            .map_err(|e| e.to_string())
        }
        Command::GroupAdd {
            profile,
            group,
            members,
        } => {
            let h = profile_handle(sw, profile)?;
            sw.write_group(
                ProfileGroup {
                    profile: h,
                    group: *group,
                    members: members.clone(),
                },
                true,
            )
            .map_err(|e| e.to_string())
        }
        Command::MeterConfig {
            meter,
            index,
            rates: [cir, cburst, pir, pburst],
        } => {
            let name = extern_name(sw, meter)?;
            let config = MeterConfig {
                cir: *cir,
                cburst: *cburst,
                pir: *pir,
                pburst: *pburst,
            };
            sw.meter_configure(&name, *index, Some(config), st.now)
                .map_err(|e| e.to_string())
        }
        Command::ExpectDigest { digest, values } => {
            let mut text = extern_name(sw, digest)?;
            for v in values {
                text.push_str(&format!(" {v:#x}"));
            }
            st.want_digests.push((line, text));
            Ok(())
        }
        Command::ValueSetAdd { set, elements } => {
            let p = sw.pipeline();
            let i = resolve(
                "value set",
                p.value_sets.iter().map(|(_, v)| v.name.as_str()),
                set,
            )?;
            let vs = &p.value_sets[Handle::new(i as u32)];
            let name = vs.name.clone();
            if elements.len() != vs.fields.len() {
                return Err(format!(
                    "value set `{name}` has {} elements, found {}",
                    vs.fields.len(),
                    elements.len()
                ));
            }
            let mut values = Vec::new();
            let mut masks = Vec::new();
            for ((v, m), f) in elements.iter().zip(&vs.fields) {
                let all = mask(f.width());
                if v & !all != 0 {
                    return Err(format!("`{v:#x}` does not fit {} bits", f.width()));
                }
                values.push(*v);
                masks.push(m.unwrap_or(all) & all);
            }
            sw.value_set_add(&name, values, masks)
                .map_err(|e| e.to_string())
        }
        Command::CheckDirectCounter {
            table,
            priority,
            keys,
            packets,
            op,
            value,
        } => {
            let e = entry(sw, table, *priority, keys, None)?;
            let c = sw.direct_counter(&e).ok_or_else(|| {
                format!("no entry with these keys or no direct counter on `{table}`")
            })?;
            let have = if *packets { c.packets } else { c.bytes };
            compare(have, op, *value).map_err(|_| {
                format!("direct counter of `{table}` entry is {have}, expected {op} {value}")
            })
        }
        Command::ExpectLog { text } => {
            st.want_logs.push((line, text.clone()));
            Ok(())
        }
    }
}

fn compare(have: u64, op: &str, value: u64) -> Result<(), ()> {
    let ok = match op {
        "==" => have == value,
        "!=" => have != value,
        "<" => have < value,
        "<=" => have <= value,
        ">" => have > value,
        _ => have >= value,
    };
    if ok { Ok(()) } else { Err(()) }
}

fn profile_handle(sw: &Switch, name: &str) -> Result<Handle<Extern>, String> {
    let full = extern_name(sw, name)?;
    sw.pipeline()
        .extern_by_name(&full)
        .ok_or_else(|| format!("no extern named `{name}`"))
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
    let action = match (action, t.implementation) {
        (Some((a, args)), Implementation::Direct) => EntryAction::Action(call(sw, t, a, args)?),
        (Some((a, args)), _) => {
            let id = match args.as_slice() {
                [KeyText { name, value }] if name.is_empty() => u32::try_from(number(value)?)
                    .map_err(|_| format!("`{value}` does not fit 32 bits"))?,
                _ => {
                    return Err(format!(
                        "expected `member(ID)` or `group(ID)`, found `{a}(...)`"
                    ));
                }
            };
            match a.as_str() {
                "member" => EntryAction::Member { member: id },
                "group" => EntryAction::Group { group: id },
                _ => {
                    return Err(format!(
                        "table `{}` has an action profile: expected `member(ID)` or `group(ID)`, found `{a}`",
                        t.name
                    ));
                }
            }
        }
        (None, _) => EntryAction::Action(t.default_action.clone()),
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
