//! One module per subcommand.

pub mod agent;
pub mod check;
pub mod compile;
pub mod demo;
pub mod demo_tool;
pub mod diff;
pub mod explain;
pub mod gen_policy;
pub mod load;
pub mod p4;
pub mod p4_build;
pub mod publish;
pub mod softswitch;
pub mod softswitch_serve;
pub mod status;
