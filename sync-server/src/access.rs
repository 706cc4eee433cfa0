//! Who may read and write what. Agents work in the territories assigned to them; managers and
//! admins see and change every prospect. The rules are plain functions, so every handler and
//! store applies the same ones.

use census_core::{DeviceId, Person, Role, TerritoryId, UserId};

/// The signed-in device making a request, and what its person may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user: UserId,
    pub role: Role,
    pub device: DeviceId,
    /// The territories whose prospects this caller reads and writes.
    pub scopes: Vec<TerritoryId>,
}

impl Caller {
    pub fn may_read(&self, territory: TerritoryId) -> bool {
        self.scopes.contains(&territory)
    }

    /// Whether this caller may write a prospect that is in `current` (if the server has it)
    /// and, after the change, in `claimed`.
    pub fn may_write(&self, current: Option<TerritoryId>, claimed: TerritoryId) -> Result<(), String> {
        if !self.scopes.contains(&claimed) {
            return Err(format!("territory {claimed} is not one of yours; changes there are refused"));
        }
        match current {
            Some(current) if !self.scopes.contains(&current) => Err(format!(
                "this prospect is in territory {current}, which is not one of yours; changes to it are refused"
            )),
            _ => Ok(()),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether this caller may manage people, devices, territories and questionnaires.
    pub fn may_manage(&self) -> Result<(), String> {
        match self.role {
            Role::Manager | Role::Admin => Ok(()),
            Role::Agent => Err("only managers and administrators may change people, devices and territories".into()),
        }
    }

    /// Whether this caller may add someone with `role`: managers add agents, administrators
    /// anyone.
    pub fn may_add(&self, role: Role) -> Result<(), String> {
        self.may_manage()?;
        if role != Role::Agent && !self.is_admin() {
            return Err(format!("only an administrator may add a {}", role.as_str()));
        }
        Ok(())
    }

    /// Whether this caller may revoke a device of `owner`. Roles act downward: managers revoke
    /// their own devices and agents'; administrators anyone's.
    pub fn may_revoke_device_of(&self, owner: &Person) -> Result<(), String> {
        self.may_manage()?;
        if owner.role != Role::Agent && owner.id != self.user && !self.is_admin() {
            return Err(format!(
                "only an administrator may revoke a device of {}, who is a {}",
                owner.name,
                owner.role.as_str()
            ));
        }
        Ok(())
    }

    /// Only administrators lift a revocation.
    pub fn may_reinstate_devices(&self) -> Result<(), String> {
        if !self.is_admin() {
            return Err("only an administrator may reinstate a revoked device".into());
        }
        Ok(())
    }

    /// Whether this caller may read the audit trail: administrators only.
    pub fn may_read_audit(&self) -> Result<(), String> {
        if !self.is_admin() {
            return Err("only an administrator may read the audit trail".into());
        }
        Ok(())
    }

    /// Whether this caller may retire `person`: managers retire agents, administrators anyone
    /// but themselves.
    pub fn may_retire(&self, person: &Person) -> Result<(), String> {
        self.may_manage()?;
        if person.id == self.user {
            return Err("you cannot retire yourself; ask another administrator".into());
        }
        if person.role != Role::Agent && !self.is_admin() {
            return Err(format!("only an administrator may retire {}, who is a {}", person.name, person.role.as_str()));
        }
        Ok(())
    }
}
