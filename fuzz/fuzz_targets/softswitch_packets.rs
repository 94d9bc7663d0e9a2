//! Random packets through the softswitch's hand-built router and load balancer, with routes,
//! an ACL, backends and a VIP installed: every input must end as output or as a drop with a
//! reason, never as a panic.
#![no_main]

use std::sync::Mutex;

use ddsr_pipeline::entry::{
    ActionCall, EntryAction, FieldMatch, ProfileGroup, ProfileMember, TableEntry,
};
use ddsr_softswitch::programs::{l4_lb, router};
use ddsr_softswitch::{Output, Switch};
use libfuzzer_sys::fuzz_target;

fn switches() -> (Switch, Switch) {
    let mut r = Switch::new(router()).expect("router loads");
    let p = r.pipeline();
    let lpm = p.table_by_name("MyIngress.ipv4_lpm").expect("table");
    let acl = p.table_by_name("MyIngress.acl").expect("table");
    let nh = p.action_by_name("MyIngress.set_nhop").expect("action");
    let deny = p.action_by_name("MyIngress.deny").expect("action");
    r.insert(TableEntry {
        table: lpm,
        matches: vec![FieldMatch::Lpm {
            value: vec![10, 0, 0, 0],
            prefix_len: 8,
        }],
        priority: 0,
        action: EntryAction::Action(ActionCall {
            action: nh,
            args: vec![vec![0, 0, 0, 0, 0, 1], vec![0, 1]],
        }),
    })
    .expect("route");
    r.insert(TableEntry {
        table: acl,
        matches: vec![
            FieldMatch::Ternary {
                value: vec![10, 0, 0, 0],
                mask: vec![255, 0, 0, 0],
            },
            FieldMatch::Ternary {
                value: vec![6],
                mask: vec![255],
            },
            FieldMatch::Range {
                low: vec![0, 0],
                high: vec![0, 100],
            },
        ],
        priority: 1,
        action: EntryAction::Action(ActionCall {
            action: deny,
            args: vec![],
        }),
    })
    .expect("acl");
    let mut l = Switch::new(l4_lb()).expect("l4_lb loads");
    let p = l.pipeline();
    let sel = p.extern_by_name("MyIngress.backends").expect("selector");
    let act = p.action_by_name("MyIngress.to_backend").expect("action");
    let vip = p.table_by_name("MyIngress.vip").expect("table");
    for m in 0..4u8 {
        l.insert_member(ProfileMember {
            profile: sel,
            member: u32::from(m),
            action: ActionCall {
                action: act,
                args: vec![
                    vec![10, 9, 0, m],
                    vec![0, 80],
                    vec![0, 0, 0, 0, 0, m],
                    vec![0, 2],
                ],
            },
        })
        .expect("member");
    }
    l.write_group(
        ProfileGroup {
            profile: sel,
            group: 1,
            members: vec![0, 1, 2, 3],
        },
        true,
    )
    .expect("group");
    for proto in [6u8, 17] {
        l.insert(TableEntry {
            table: vip,
            matches: vec![
                FieldMatch::Exact {
                    value: vec![10, 0, 0, 1],
                },
                FieldMatch::Exact { value: vec![proto] },
                FieldMatch::Exact { value: vec![0, 80] },
            ],
            priority: 0,
            action: EntryAction::Group { group: 1 },
        })
        .expect("vip");
    }
    (r, l)
}

static SWITCHES: Mutex<Option<(Switch, Switch)>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let Some((first, packet)) = data.split_first() else {
        return;
    };
    let mut guard = SWITCHES.lock().unwrap_or_else(|e| e.into_inner());
    let (r, l) = guard.get_or_insert_with(switches);
    let sw = if first & 1 == 0 { r } else { l };
    let mut out = Output::default();
    let before = sw.stats.received;
    sw.process(u16::from(first >> 1), packet, 0, &mut out, None);
    assert_eq!(sw.stats.received, before + 1);
    assert!(
        !out.packets().is_empty() || !out.drops.is_empty(),
        "every packet ends as output or drop"
    );
});
