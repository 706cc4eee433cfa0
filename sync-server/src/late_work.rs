//! Late work in the store: remembering when people lose the right to write (a territory taken
//! from them, a prospect moved out of theirs, their retirement) and, when a device pushes a
//! change its person may no longer make, the facts `census_core::late_work::judge` decides on
//! (when a device was last told is kept by `device_seen`). Work it takes is listed for managers.

use census_core::late_work::{self, AccessLoss, Dependency, TooLate};
use census_core::{ChangeInfo, DeviceId, LateArrival, ProspectId, TerritoryId, Timestamp, UserId};
use rusqlite::{Connection, OptionalExtension, params};

use crate::access::Caller;
use crate::error::StoreError;
use crate::sqlite_store::id16;

/// Remembers that `user` may no longer write `territory` (every territory when `None`).
pub fn territory_lost(
    tx: &Connection,
    user: UserId,
    territory: Option<TerritoryId>,
    at: Timestamp,
) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT INTO access_losses (user_id, territory, doc, lost_at) VALUES (?1, ?2, NULL, ?3)")?
        .execute(params![user.as_bytes(), territory.map(|t| *t.as_bytes()), at.unix_millis()])?;
    Ok(())
}

/// Remembers that the agents of `from` may no longer write `doc`, which moved out of it.
pub fn prospect_moved(tx: &Connection, doc: ProspectId, from: TerritoryId, at: Timestamp) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO access_losses (user_id, territory, doc, lost_at) \
         SELECT user_id, territory, ?2, ?3 FROM assignments WHERE territory = ?1",
    )?
    .execute(params![from.as_bytes(), doc.as_bytes(), at.unix_millis()])?;
    Ok(())
}

/// Whether the change, which `caller` may not make now to `doc` (in `place`, where it is or
/// would be), is late work to take: the loss it arrives after, or why not. `Ok(None)` when the
/// person never had the right.
pub fn arrival(
    tx: &Connection,
    caller: &Caller,
    doc: ProspectId,
    place: TerritoryId,
    info: &ChangeInfo,
    now: Timestamp,
) -> Result<Option<Result<AccessLoss, TooLate>>, StoreError> {
    let lost_at: Option<i64> = tx
        .prepare_cached(
            "SELECT max(lost_at) FROM access_losses WHERE user_id = ?1 \
             AND ((doc IS NULL AND (territory IS NULL OR territory = ?2)) OR doc = ?3)",
        )?
        .query_row(params![caller.user.as_bytes(), place.as_bytes(), doc.as_bytes()], |r| r.get(0))?;
    let Some(lost_at) = lost_at else { return Ok(None) };
    let loss = AccessLoss { lost_at: Timestamp::from_unix_millis(lost_at) };
    // Signing in tells too: a device that signed in after the loss cannot have made work before
    // it (edits need a signed-in person).
    let told_at: Option<i64> = tx
        .prepare_cached("SELECT max(coalesce(told_at, 0), signed_in_at) FROM devices WHERE id = ?1")?
        .query_row([caller.device.as_bytes()], |r| r.get(0))
        .optional()?
        .flatten();
    let mut dependencies = Vec::with_capacity(info.deps.len());
    let mut statement = tx.prepare_cached("SELECT received_at, device FROM changes WHERE doc = ?1 AND hash = ?2")?;
    for dep in &info.deps {
        let known = statement
            .query_row(params![doc.as_bytes(), dep.0], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .optional()?;
        dependencies.push(known.map(|(received_at, device)| Dependency {
            received_at: Timestamp::from_unix_millis(received_at),
            from_pusher: device.as_slice() == caller.device.as_bytes(),
        }));
    }
    let told_at = told_at.map(Timestamp::from_unix_millis);
    Ok(Some(late_work::judge(loss, told_at, &dependencies, now).map(|()| loss)))
}

/// Marks a change taken late, counted with the prospect's others from the same push.
pub fn taken(
    tx: &Connection,
    caller: &Caller,
    doc: ProspectId,
    territory: TerritoryId,
    loss: AccessLoss,
    now: Timestamp,
) -> Result<(), StoreError> {
    let counted = tx
        .prepare_cached(
            "UPDATE late_arrivals SET changes = changes + 1 WHERE doc = ?1 AND device = ?2 AND arrived_at = ?3",
        )?
        .execute(params![doc.as_bytes(), caller.device.as_bytes(), now.unix_millis()])?;
    if counted == 0 {
        tx.prepare_cached(
            "INSERT INTO late_arrivals (doc, territory, user_id, device, changes, lost_at, arrived_at) \
             VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6)",
        )?
        .execute(params![
            doc.as_bytes(),
            territory.as_bytes(),
            caller.user.as_bytes(),
            caller.device.as_bytes(),
            loss.lost_at.unix_millis(),
            now.unix_millis()
        ])?;
        tracing::info!(%doc, user = %caller.user, device = %caller.device, "late work taken");
    }
    Ok(())
}

/// The late work taken, newest first, at most `limit`.
pub fn list(conn: &Connection, limit: u32) -> Result<Vec<LateArrival>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT doc, territory, user_id, device, changes, lost_at, arrived_at FROM late_arrivals \
         ORDER BY arrived_at DESC, id DESC LIMIT ?1",
    )?;
    let rows = statement.query_map([limit], |r| {
        Ok(LateArrival {
            prospect: ProspectId::from_bytes(id16(r.get(0)?)?),
            territory: TerritoryId::from_bytes(id16(r.get(1)?)?),
            user: UserId::from_bytes(id16(r.get(2)?)?),
            device: DeviceId::from_bytes(id16(r.get(3)?)?),
            changes: r.get(4)?,
            lost_at: Timestamp::from_unix_millis(r.get(5)?),
            arrived_at: Timestamp::from_unix_millis(r.get(6)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
