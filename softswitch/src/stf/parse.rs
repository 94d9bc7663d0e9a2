//! STF text to commands.

use super::StfError;

/// A `name:value` pair of an `add`, `remove` or action argument list, kept as text until the
/// table's widths are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyText {
    pub name: String,
    pub value: String,
}

/// An expected packet: nibbles (`None` is a `*` wildcard) and whether its length is exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    pub nibbles: Vec<Option<u8>>,
    pub exact_len: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Add {
        table: String,
        priority: Option<i32>,
        keys: Vec<KeyText>,
        action: String,
        args: Vec<KeyText>,
    },
    SetDefault {
        table: String,
        action: String,
        args: Vec<KeyText>,
    },
    Remove {
        table: String,
        priority: Option<i32>,
        keys: Vec<KeyText>,
    },
    Packet {
        port: u16,
        data: Vec<u8>,
    },
    Expect {
        port: u16,
        expect: Expect,
    },
    NoPacket,
    Wait,
    CheckCounter {
        counter: String,
        index: u64,
        packets: bool,
        op: String,
        value: u64,
    },
    McGroupCreate {
        group: u16,
    },
    McNodeCreate {
        rid: u16,
        ports: Vec<u16>,
    },
    McNodeAssociate {
        group: u16,
        node: u32,
    },
    MirroringAdd {
        session: u32,
        port: u16,
    },
    RegisterRead {
        register: String,
        index: u64,
        value: u128,
    },
    RegisterWrite {
        register: String,
        index: u64,
        value: u128,
    },
    /// `member_add PROFILE ID ACTION(ARGS)`: a member of an action profile or selector.
    MemberAdd {
        profile: String,
        member: u32,
        action: String,
        args: Vec<KeyText>,
    },
    /// `group_add SELECTOR ID MEMBER...`: a group of an action selector.
    GroupAdd {
        profile: String,
        group: u32,
        members: Vec<u32>,
    },
    /// `meter_config METER INDEX CIR CBURST PIR PBURST`: rates in units per second.
    MeterConfig {
        meter: String,
        index: u64,
        rates: [u64; 4],
    },
    /// `expect_digest DIGEST VALUE...`: the next digest of the run and its field values.
    ExpectDigest {
        digest: String,
        values: Vec<u128>,
    },
    /// `value_set_add SET VALUE[&&&MASK]...`: a member of a parser value set, one value per
    /// element (a missing mask means all ones).
    ValueSetAdd {
        set: String,
        elements: Vec<(u128, Option<u128>)>,
    },
    /// `check_direct_counter TABLE [PRIORITY] key:value ... [packets|bytes] [OP] VALUE`: the
    /// direct counter of the entry with these keys.
    CheckDirectCounter {
        table: String,
        priority: Option<i32>,
        keys: Vec<KeyText>,
        packets: bool,
        op: String,
        value: u64,
    },
    /// `expect_log TEXT`: the next `log_msg` line of the run.
    ExpectLog {
        text: String,
    },
}

/// A command and the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub line: usize,
    pub command: Command,
}

/// Parses a whole STF file, reporting every bad line.
pub fn parse(text: &str) -> Result<Vec<Line>, Vec<StfError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        match command(line) {
            Ok(c) => out.push(Line {
                line: i + 1,
                command: c,
            }),
            Err(message) => errors.push(StfError {
                line: i + 1,
                message,
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn command(line: &str) -> Result<Command, String> {
    let (word, rest) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(w, r)| (w, r.trim()));
    match word.to_ascii_lowercase().as_str() {
        "add" => {
            let (table, priority, keys, call) = table_keys(rest, true)?;
            let call = call.ok_or("expected an action call `name(arg:value, ...)` at the end")?;
            let (action, args) = action_call(&call)?;
            Ok(Command::Add {
                table,
                priority,
                keys,
                action,
                args,
            })
        }
        "setdefault" => {
            let (table, call) = rest
                .split_once(char::is_whitespace)
                .ok_or("expected `setdefault TABLE ACTION(ARGS)`")?;
            let (action, args) = action_call(call.trim())?;
            Ok(Command::SetDefault {
                table: table.into(),
                action,
                args,
            })
        }
        "remove" => {
            let (table, priority, keys, call) = table_keys(rest, false)?;
            if call.is_some() {
                return Err("`remove` takes no action".into());
            }
            Ok(Command::Remove {
                table,
                priority,
                keys,
            })
        }
        "packet" => {
            let (port, data) = port_and_data(rest)?;
            let data = hex_bytes(&data)?;
            Ok(Command::Packet { port, data })
        }
        "expect" => {
            let (port, data) = port_and_data(rest)?;
            let (data, exact_len) = match data.strip_suffix('$') {
                Some(d) => (d.to_string(), true),
                None => (data, false),
            };
            let mut nibbles = Vec::new();
            for c in data.chars() {
                match c {
                    '*' => nibbles.push(None),
                    c if c.is_ascii_hexdigit() => {
                        nibbles.push(Some(c.to_digit(16).expect("hex digit") as u8))
                    }
                    c => return Err(format!("expected hex digits or `*`, found `{c}`")),
                }
            }
            if nibbles.len() % 2 != 0 {
                return Err("expected an even number of nibbles".into());
            }
            Ok(Command::Expect {
                port,
                expect: Expect { nibbles, exact_len },
            })
        }
        "no_packet" => Ok(Command::NoPacket),
        "wait" => Ok(Command::Wait),
        "check_counter" => {
            let (name, after) = rest
                .split_once('(')
                .ok_or("expected `check_counter NAME(INDEX) ...`")?;
            let (index, tail) = after.split_once(')').ok_or("expected `)`")?;
            let words: Vec<&str> = tail.split_whitespace().collect();
            let (packets, op, value) = count_check(&words)?;
            Ok(Command::CheckCounter {
                counter: name.trim().into(),
                index: number(index.trim())? as u64,
                packets,
                op,
                value,
            })
        }
        "mc_mgrp_create" => Ok(Command::McGroupCreate {
            group: small(rest)?,
        }),
        "mc_node_create" => {
            let mut w = rest.split_whitespace();
            let rid = small(w.next().ok_or("expected `mc_node_create RID PORT...`")?)?;
            let ports = w.map(small).collect::<Result<Vec<u16>, String>>()?;
            Ok(Command::McNodeCreate { rid, ports })
        }
        "mc_node_associate" => {
            let w: Vec<&str> = rest.split_whitespace().collect();
            let [g, n] = w.as_slice() else {
                return Err("expected `mc_node_associate GROUP NODE`".into());
            };
            Ok(Command::McNodeAssociate {
                group: small(g)?,
                node: number(n)? as u32,
            })
        }
        "mirroring_add" => {
            let w: Vec<&str> = rest.split_whitespace().collect();
            let [s, p] = w.as_slice() else {
                return Err("expected `mirroring_add SESSION PORT`".into());
            };
            Ok(Command::MirroringAdd {
                session: number(s)? as u32,
                port: small(p)?,
            })
        }
        "register_read" | "register_write" => {
            let w: Vec<&str> = rest.split_whitespace().filter(|w| *w != "==").collect();
            let [r, i, v] = w.as_slice() else {
                return Err(format!("expected `{word} REGISTER INDEX VALUE`"));
            };
            let (register, index, value) = ((*r).to_string(), number(i)? as u64, number(v)?);
            Ok(if word.eq_ignore_ascii_case("register_read") {
                Command::RegisterRead {
                    register,
                    index,
                    value,
                }
            } else {
                Command::RegisterWrite {
                    register,
                    index,
                    value,
                }
            })
        }
        "member_add" => {
            let (head, call) = rest
                .split_once('(')
                .map(|(h, _)| h)
                .and_then(|h| h.rfind(char::is_whitespace))
                .map(|i| rest.split_at(i))
                .ok_or("expected `member_add PROFILE ID ACTION(ARGS)`")?;
            let w: Vec<&str> = head.split_whitespace().collect();
            let [profile, id] = w.as_slice() else {
                return Err("expected `member_add PROFILE ID ACTION(ARGS)`".into());
            };
            let (action, args) = action_call(call.trim())?;
            Ok(Command::MemberAdd {
                profile: (*profile).into(),
                member: id32(id)?,
                action,
                args,
            })
        }
        "group_add" => {
            let mut w = rest.split_whitespace();
            let (Some(profile), Some(id)) = (w.next(), w.next()) else {
                return Err("expected `group_add SELECTOR ID MEMBER...`".into());
            };
            Ok(Command::GroupAdd {
                profile: profile.into(),
                group: id32(id)?,
                members: w.map(id32).collect::<Result<_, _>>()?,
            })
        }
        "meter_config" => {
            let w: Vec<&str> = rest.split_whitespace().collect();
            let [meter, index, cir, cburst, pir, pburst] = w.as_slice() else {
                return Err("expected `meter_config METER INDEX CIR CBURST PIR PBURST`".into());
            };
            let mut rates = [0u64; 4];
            for (r, t) in rates.iter_mut().zip([cir, cburst, pir, pburst]) {
                *r =
                    u64::try_from(number(t)?).map_err(|_| format!("`{t}` does not fit 64 bits"))?;
            }
            Ok(Command::MeterConfig {
                meter: (*meter).into(),
                index: number(index)? as u64,
                rates,
            })
        }
        "expect_digest" => {
            let mut w = rest.split_whitespace();
            let digest = w.next().ok_or("expected `expect_digest DIGEST VALUE...`")?;
            Ok(Command::ExpectDigest {
                digest: digest.into(),
                values: w.map(number).collect::<Result<_, _>>()?,
            })
        }
        "expect_log" => Ok(Command::ExpectLog { text: rest.into() }),
        "value_set_add" => {
            let mut w = rest.split_whitespace();
            let set = w.next().ok_or("expected `value_set_add SET VALUE...`")?;
            let elements = w
                .map(|e| match e.split_once("&&&") {
                    Some((v, m)) => Ok((number(v)?, Some(number(m)?))),
                    None => Ok((number(e)?, None)),
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok(Command::ValueSetAdd {
                set: set.into(),
                elements,
            })
        }
        "check_direct_counter" => {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let keys_end = words
                .iter()
                .rposition(|w| w.contains(':'))
                .map_or(1, |i| i + 1);
            let (table, priority, keys, _) = table_keys(&words[..keys_end].join(" "), false)?;
            let (packets, op, value) = count_check(&words[keys_end..])?;
            Ok(Command::CheckDirectCounter {
                table,
                priority,
                keys,
                packets,
                op,
                value,
            })
        }
        other => Err(format!("unknown command `{other}`")),
    }
}

/// `[packets|bytes] [OP] VALUE` of a counter check: (packets?, operator, value).
fn count_check(words: &[&str]) -> Result<(bool, String, u64), String> {
    let (packets, rest) = match words.split_first() {
        Some((&"bytes", rest)) => (false, rest),
        Some((&"packets", rest)) => (true, rest),
        _ => (true, words),
    };
    let (op, value) = match rest {
        [op, v] => ((*op).to_string(), *v),
        [v] => ("==".to_string(), *v),
        _ => return Err("expected `[packets|bytes] [OP] VALUE`".into()),
    };
    if !["==", "!=", "<", "<=", ">", ">="].contains(&op.as_str()) {
        return Err(format!("expected a comparison, found `{op}`"));
    }
    let value =
        u64::try_from(number(value)?).map_err(|_| format!("`{value}` does not fit 64 bits"))?;
    Ok((packets, op, value))
}

/// `TABLE [PRIORITY] key:value ... [action(...)]`.
type TableKeys = (String, Option<i32>, Vec<KeyText>, Option<String>);

fn table_keys(rest: &str, with_action: bool) -> Result<TableKeys, String> {
    let (head, call) = match (with_action, rest.find('(')) {
        (true, Some(open)) => {
            let start = rest[..open].rfind(char::is_whitespace).map_or(0, |i| i + 1);
            (&rest[..start], Some(rest[start..].trim().to_string()))
        }
        _ => (rest, None),
    };
    let mut words = head.split_whitespace();
    let table = words.next().ok_or("expected a table name")?.to_string();
    let mut priority = None;
    let mut keys = Vec::new();
    for w in words {
        match w.split_once(':') {
            Some((n, v)) => keys.push(KeyText {
                name: n.into(),
                value: v.into(),
            }),
            None if keys.is_empty() && priority.is_none() => {
                priority = Some(
                    i32::try_from(number(w)?)
                        .map_err(|_| format!("priority `{w}` is too large"))?,
                )
            }
            None => return Err(format!("expected `key:value`, found `{w}`")),
        }
    }
    Ok((table, priority, keys, call))
}

fn action_call(call: &str) -> Result<(String, Vec<KeyText>), String> {
    let (name, rest) = call.split_once('(').ok_or("expected `action(args)`")?;
    let inner = rest
        .trim_end()
        .strip_suffix(')')
        .ok_or("expected `)` after the arguments")?;
    let mut args = Vec::new();
    for a in inner.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        // An unnamed value is the id of `member(ID)` / `group(ID)`.
        let (n, v) = a.split_once(':').unwrap_or(("", a));
        args.push(KeyText {
            name: n.trim().into(),
            value: v.trim().into(),
        });
    }
    Ok((name.trim().into(), args))
}

fn port_and_data(rest: &str) -> Result<(u16, String), String> {
    let (port, data) = rest
        .split_once(char::is_whitespace)
        .map_or((rest, ""), |(p, d)| (p, d));
    let data: String = data.split_whitespace().collect();
    Ok((small(port)?, data))
}

fn hex_bytes(data: &str) -> Result<Vec<u8>, String> {
    ddsr_pipeline::value::decode(data)
}

/// Parses decimal, `0x` hex or `0b` binary.
pub fn number(text: &str) -> Result<u128, String> {
    ddsr_pipeline::value::parse_u128(text)
}

fn id32(text: &str) -> Result<u32, String> {
    u32::try_from(number(text)?).map_err(|_| format!("`{text}` does not fit 32 bits"))
}

fn small(text: &str) -> Result<u16, String> {
    u16::try_from(number(text)?).map_err(|_| format!("`{text}` does not fit 16 bits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_their_lines() {
        let text = "# routes\nadd MyIngress.ipv4_lpm hdr.ipv4.dstAddr:0x0a000000/8 MyIngress.fwd(port:2, mac:0x1)\n\
                    add acl 10 src:0x0a****** MyIngress.drop()\npacket 1 0001 02\nexpect 2 00** 02 $\nbogus\n";
        let errs = parse(text).unwrap_err();
        assert_eq!(
            errs,
            vec![StfError {
                line: 6,
                message: "unknown command `bogus`".into()
            }]
        );
        let cmds = parse(&text.replace("bogus", "")).unwrap();
        assert_eq!(cmds.len(), 4);
        assert_eq!(cmds[0].line, 2);
        assert_eq!(
            cmds[0].command,
            Command::Add {
                table: "MyIngress.ipv4_lpm".into(),
                priority: None,
                keys: vec![KeyText {
                    name: "hdr.ipv4.dstAddr".into(),
                    value: "0x0a000000/8".into()
                }],
                action: "MyIngress.fwd".into(),
                args: vec![
                    KeyText {
                        name: "port".into(),
                        value: "2".into()
                    },
                    KeyText {
                        name: "mac".into(),
                        value: "0x1".into()
                    },
                ],
            }
        );
        assert!(matches!(
            &cmds[1].command,
            Command::Add {
                priority: Some(10),
                ..
            }
        ));
        assert_eq!(
            cmds[2].command,
            Command::Packet {
                port: 1,
                data: vec![0, 1, 2]
            }
        );
        assert_eq!(
            cmds[3].command,
            Command::Expect {
                port: 2,
                expect: Expect {
                    nibbles: vec![Some(0), Some(0), None, None, Some(0), Some(2)],
                    exact_len: true
                }
            }
        );
    }
}
