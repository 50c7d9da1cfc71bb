//! Per-agency caps on what is held open on a node (WebSocket connections,
//! subscriptions): a place is taken, and given back when dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Counts what each agency holds open (connections, subscriptions) and
/// refuses more than a cap.
#[derive(Default)]
pub struct Occupancy {
    held: Mutex<HashMap<String, usize>>,
}

/// One place held; given back when dropped.
pub struct Slot {
    occupancy: Arc<Occupancy>,
    agency: String,
}

impl Occupancy {
    /// A place for `agency` if it holds fewer than `max`.
    pub fn take(self: &Arc<Self>, agency: &str, max: usize) -> Option<Slot> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let count = held.entry(agency.to_owned()).or_default();
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(Slot {
            occupancy: self.clone(),
            agency: agency.to_owned(),
        })
    }

    /// How many places `agency` holds.
    pub fn held(&self, agency: &str) -> usize {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.get(agency).copied().unwrap_or(0)
    }

    /// How many places all agencies hold.
    pub fn total(&self) -> usize {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.values().sum()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self
            .occupancy
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(count) = held.get_mut(&self.agency) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(&self.agency);
            }
        }
    }
}
