//! Late work: changes a device made while its person could still write a prospect, arriving
//! after that right ended (the territory given to someone else, the prospect moved to another
//! territory, the person retired). Field work happens offline, so such changes are normal: a
//! visit recorded on Monday reaches the server on Wednesday, after the manager reassigned the
//! territory on Tuesday. They are accepted for a grace period, and marked for managers, when
//! the device could have made them before it learnt of the change:
//!
//! - the device has not been told since the right ended (it receives the directory after it
//!   pushes, so once told, whatever it pushes next was made knowing);
//! - every change the new one builds on was on the server before the right ended, or is the
//!   device's own (it could not have pulled anything later).
//!
//! The server gathers these facts; the judgement is here.

use serde::{Deserialize, Serialize};

use crate::ids::{DeviceId, ProspectId, TerritoryId, UserId};
use crate::time::Timestamp;

/// How long after losing the right a person's device may still deliver what it made before.
pub const LATE_WORK_GRACE_DAYS: i64 = 14;
const GRACE_MILLIS: i64 = LATE_WORK_GRACE_DAYS * 24 * 3600 * 1000;

/// The moment a person stopped being allowed to write a prospect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessLoss {
    pub lost_at: Timestamp,
}

/// A change the pushed one builds on, as the server knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dependency {
    pub received_at: Timestamp,
    /// Whether the pushing device made it.
    pub from_pusher: bool,
}

/// Why a late change is refused after all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TooLate {
    /// More than the grace period has passed since the right ended.
    GraceOver,
    /// The device was told of the change before it pushed this.
    MadeAfterLearning,
    /// It builds on something the server received after the right ended (or does not have).
    BuildsOnLaterWork,
}

impl std::fmt::Display for TooLate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TooLate::GraceOver => {
                "it arrived more than 14 days after this prospect stopped being yours, too late to be taken"
            }
            TooLate::MadeAfterLearning => "it was made after this device learnt that the prospect is no longer yours",
            TooLate::BuildsOnLaterWork => {
                "it builds on changes made after the prospect stopped being yours, so it was not made before"
            }
        })
    }
}

/// Whether a change may still arrive after `loss`: `told_at` is when the device last received
/// the directory, `dependencies` what the server knows of each change it builds on (`None` for
/// one it does not have).
pub fn judge(
    loss: AccessLoss,
    told_at: Option<Timestamp>,
    dependencies: &[Option<Dependency>],
    now: Timestamp,
) -> Result<(), TooLate> {
    if now.unix_millis().saturating_sub(loss.lost_at.unix_millis()) > GRACE_MILLIS {
        return Err(TooLate::GraceOver);
    }
    if told_at.is_some_and(|told| told >= loss.lost_at) {
        return Err(TooLate::MadeAfterLearning);
    }
    let before = |d: &Option<Dependency>| d.is_some_and(|d| d.from_pusher || d.received_at <= loss.lost_at);
    if !dependencies.iter().all(before) {
        return Err(TooLate::BuildsOnLaterWork);
    }
    Ok(())
}

/// Late work the server took, for managers to look at: one prospect's changes from one device,
/// in one push.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LateArrival {
    pub prospect: ProspectId,
    /// The territory the prospect is in now.
    pub territory: TerritoryId,
    pub user: UserId,
    pub device: DeviceId,
    /// How many changes arrived.
    pub changes: u32,
    /// When the person stopped being allowed to write it.
    pub lost_at: Timestamp,
    pub arrived_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 3600 * 1000;

    fn at(days: i64) -> Timestamp {
        Timestamp::from_unix_millis(1_800_000_000_000 + days * DAY)
    }

    fn dependency(days: i64, from_pusher: bool) -> Option<Dependency> {
        Some(Dependency { received_at: at(days), from_pusher })
    }

    #[test]
    fn work_made_before_the_loss_is_taken_within_the_grace_period() {
        let loss = AccessLoss { lost_at: at(10) };
        assert_eq!(judge(loss, Some(at(9)), &[dependency(5, false), dependency(12, true)], at(12)), Ok(()));
        assert_eq!(judge(loss, None, &[], at(24)), Ok(()));
        assert_eq!(judge(loss, None, &[], at(25)), Err(TooLate::GraceOver));
    }

    #[test]
    fn work_made_knowing_or_on_later_work_is_refused() {
        let loss = AccessLoss { lost_at: at(10) };
        assert_eq!(judge(loss, Some(at(10)), &[], at(11)), Err(TooLate::MadeAfterLearning));
        assert_eq!(judge(loss, Some(at(9)), &[dependency(11, false)], at(12)), Err(TooLate::BuildsOnLaterWork));
        assert_eq!(judge(loss, Some(at(9)), &[None], at(12)), Err(TooLate::BuildsOnLaterWork));
    }
}
