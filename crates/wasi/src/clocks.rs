//! `wasi:clocks`: the monotonic clock (nanoseconds since the store's context was built) and
//! the wall clock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;

use crate::WasiView;
use crate::bindings::wasi::clocks::wall_clock::Datetime;
use crate::bindings::wasi::clocks::{monotonic_clock, wall_clock};
use crate::io::{Pollable, Ready};

impl<T: WasiView> monotonic_clock::Host for T {
    fn now(&mut self) -> Result<u64> {
        Ok(u64::try_from(self.ctx().epoch.elapsed().as_nanos()).unwrap_or(u64::MAX))
    }

    fn resolution(&mut self) -> Result<u64> {
        Ok(1)
    }

    fn subscribe_instant(&mut self, when: u64) -> Result<Pollable> {
        let at = self.ctx().epoch.checked_add(Duration::from_nanos(when));
        Ok(Pollable(Ready::At(at)))
    }

    fn subscribe_duration(&mut self, when: u64) -> Result<Pollable> {
        let at = std::time::Instant::now().checked_add(Duration::from_nanos(when));
        Ok(Pollable(Ready::At(at)))
    }
}

impl<T: WasiView> wall_clock::Host for T {
    fn now(&mut self) -> Result<Datetime> {
        // A clock set before 1970 reads as 1970.
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Ok(Datetime {
            seconds: d.as_secs(),
            nanoseconds: d.subsec_nanos(),
        })
    }

    fn resolution(&mut self) -> Result<Datetime> {
        Ok(Datetime {
            seconds: 0,
            nanoseconds: 1,
        })
    }
}
