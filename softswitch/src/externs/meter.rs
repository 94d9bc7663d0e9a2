//! Two-rate three-colour meters (RFC 2698, colour-blind), as BMv2 runs them.

use serde::{Deserialize, Serialize};

/// Colours as v1model writes them.
pub const GREEN: u128 = 0;
pub const YELLOW: u128 = 1;
pub const RED: u128 = 2;

/// Rates in units (packets or bytes) per second, bursts in units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeterConfig {
    pub cir: u64,
    pub cburst: u64,
    pub pir: u64,
    pub pburst: u64,
}

/// One meter cell: unconfigured cells colour everything green (as BMv2).
#[derive(Debug, Clone, Default)]
pub struct Meter {
    config: Option<MeterConfig>,
    /// Token buckets in units scaled by 1e9 (so refills at nanosecond resolution stay exact).
    tc: u128,
    tp: u128,
    last_ns: u64,
}

const SCALE: u128 = 1_000_000_000;

impl Meter {
    pub fn configure(&mut self, config: Option<MeterConfig>, now_ns: u64) {
        self.config = config;
        if let Some(c) = config {
            self.tc = u128::from(c.cburst) * SCALE;
            self.tp = u128::from(c.pburst) * SCALE;
        }
        self.last_ns = now_ns;
    }

    pub fn config(&self) -> Option<MeterConfig> {
        self.config
    }

    /// Meters `units` at time `now_ns` and returns the colour.
    pub fn execute(&mut self, units: u64, now_ns: u64) -> u128 {
        let Some(c) = self.config else {
            return GREEN;
        };
        let dt = u128::from(now_ns.saturating_sub(self.last_ns));
        self.last_ns = self.last_ns.max(now_ns);
        self.tc = (self.tc + dt * u128::from(c.cir)).min(u128::from(c.cburst) * SCALE);
        self.tp = (self.tp + dt * u128::from(c.pir)).min(u128::from(c.pburst) * SCALE);
        let need = u128::from(units) * SCALE;
        if self.tp < need {
            RED
        } else if self.tc < need {
            self.tp -= need;
            YELLOW
        } else {
            self.tp -= need;
            self.tc -= need;
            GREEN
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_follow_rfc_2698() {
        let mut m = Meter::default();
        assert_eq!(m.execute(1000, 0), GREEN, "unconfigured is green");
        m.configure(
            Some(MeterConfig {
                cir: 1000,
                cburst: 1500,
                pir: 2000,
                pburst: 3000,
            }),
            0,
        );
        assert_eq!(m.execute(1000, 0), GREEN);
        assert_eq!(m.execute(1000, 0), YELLOW, "committed bucket has 500 left");
        assert_eq!(
            m.execute(1000, 0),
            YELLOW,
            "peak bucket had exactly 1000 left"
        );
        assert_eq!(m.execute(1000, 0), RED, "peak bucket is empty");
        assert_eq!(m.execute(1, 0), RED);
        // One second refills 1000 committed and 2000 peak units.
        assert_eq!(m.execute(1000, 1_000_000_000), GREEN);
    }
}
