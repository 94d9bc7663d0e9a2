//! Random packets through the softswitch: the hand-built router and load balancer, and the
//! three DSR role programs (`p4/v1model/{ingress,server,egress}.p4`) compiled by the P4 front
//! end, with routes, VIPs, backends for every bucket, services, ACL and responses installed.
//! Every input must end as output or as a drop with a reason, never as a panic.
#![no_main]

use std::path::Path;
use std::sync::Mutex;

use ddsr_pipeline::entry::{
    ActionCall, EntryAction, FieldMatch, ProfileGroup, ProfileMember, TableEntry,
};
use ddsr_softswitch::programs::{l4_lb, router};
use ddsr_softswitch::{Output, Switch, stf};
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

/// A role program lowered by the P4 front end, with entries given as STF `add` lines.
fn role(file: &str, entries: &str) -> Switch {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../p4/v1model")
        .join(file);
    let parsed = ddsr_p4::syntax::parse_file(&path, &ddsr_p4::syntax::Options::default());
    assert!(!parsed.diagnostics.has_errors(), "{file} parses");
    let compiled = ddsr_p4::p4info::compile(&parsed.program, file).expect("role program compiles");
    let mut sw = Switch::new(compiled.lowered.pipeline).expect("role program loads");
    let cmds = stf::parse(entries).expect("entries parse");
    let report = stf::run(&mut sw, &cmds);
    assert!(report.passed(), "{file}: {:?}", report.failures);
    sw
}

fn roles() -> [Switch; 3] {
    let mut ingress = String::from(
        "add vip_v4 dst_addr:0x0a000001 protocol:6 dst_port:80 to_pool(vip_id:0, pool_id:0, service_port:40001)\n\
         add vip_v4 dst_addr:0x0a000001 protocol:17 dst_port:53 to_pool(vip_id:1, pool_id:0, service_port:40053)\n\
         add vip_v6 dst_addr:0x20010db8000000000000000000000001 protocol:6 dst_port:443 to_pool(vip_id:2, pool_id:1, service_port:40443)\n\
         add routes_v4 dst_addr:0x0a000000/8 route(port:2, next_hop_mac:0x020000000002)\n",
    );
    for b in 0..251 {
        ingress.push_str(&format!(
            "add backends_v4 pool_id:0 bucket:{b} to_backend_v4(backend_id:{}, addr:0x0a0001{:02x})\n\
             add backends_v6 pool_id:1 bucket:{b} to_backend_v6(backend_id:{}, addr:0xfd00000000000000000000000000{:04x})\n",
            b % 4,
            b % 4,
            4 + b % 2,
            b % 2
        ));
    }
    let server = "add port_roles ingress_port:0 from_fabric(host_port:1)\n\
        add port_roles ingress_port:1 from_host(fabric_port:0)\n\
        add services_v4 dst_addr:0x0a000101 protocol:6 dst_port:40001 to_vip_v4(vip_id:0, vip_addr:0x0a000001, vip_port:80)\n\
        add services_v6 dst_addr:0xfd000000000000000000000000000000 protocol:6 dst_port:40443 to_vip_v6(vip_id:2, vip_addr:0x20010db8000000000000000000000001, vip_port:443)\n\
        add acl_v4 2 vip_id:0 src_addr:0xc0000000&&&0xff000000 src_port:0->1023 acl_deny(rule_id:1)\n\
        add acl_v4 1 vip_id:0 src_addr:0x00000000&&&0x00000000 src_port:1024->65535 acl_allow(rule_id:0)\n\
        add acl_v6 1 vip_id:2 src_addr:0&&&0 src_port:0->65535 acl_allow(rule_id:2)\n\
        add responses_v4 src_addr:0x0a000001 protocol:6 src_port:80 to_egress_v4(vip_id:0, egress_addr:0x0a000202, service_port:40001)\n\
        add responses_v6 src_addr:0x20010db8000000000000000000000001 protocol:6 src_port:443 to_egress_v6(vip_id:2, egress_addr:0xfd000000000000000000000000000202, service_port:40443)\n";
    let egress = "add services_v4 dst_addr:0x0a000202 protocol:6 dst_port:40001 to_client_v4(vip_id:0, vip_addr:0x0a000001, vip_port:80)\n\
        add services_v6 dst_addr:0xfd000000000000000000000000000202 protocol:6 dst_port:40443 to_client_v6(vip_id:2, vip_addr:0x20010db8000000000000000000000001, vip_port:443)\n\
        add routes_v4 dst_addr:0/0 route(port:3, next_hop_mac:0x020000000003)\n";
    [
        role("ingress.p4", &ingress),
        role("server.p4", server),
        role("egress.p4", egress),
    ]
}

type All = (Switch, Switch, [Switch; 3]);

static SWITCHES: Mutex<Option<All>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let Some((first, packet)) = data.split_first() else {
        return;
    };
    let mut guard = SWITCHES.lock().unwrap_or_else(|e| e.into_inner());
    let (r, l, [ingress, server, egress]) = guard.get_or_insert_with(|| {
        let (r, l) = switches();
        (r, l, roles())
    });
    // The low 3 bits pick the switch (the role programs twice as often), the rest the port.
    let sw = match first & 7 {
        0 => r,
        1 => l,
        2 | 5 => ingress,
        3 | 6 => server,
        _ => egress,
    };
    let mut out = Output::default();
    let before = sw.stats.received;
    sw.process(u16::from(first >> 3), packet, 0, &mut out, None);
    assert_eq!(sw.stats.received, before + 1);
    assert!(
        !out.packets().is_empty() || !out.drops.is_empty(),
        "every packet ends as output or drop"
    );
});
