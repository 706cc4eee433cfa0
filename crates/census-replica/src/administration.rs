//! A manager's changes to the directory: devices revoked, people added, and retired with their
//! territories handed over, territories outlined, planned and assigned, questionnaire versions
//! published; the late work the server took, and the audit trail read by administrators. These
//! need the server (the directory is the server's); each change, once made, refreshes this device's copy of the directory so that the app shows it at once, and every
//! other device gets it with its next sync.

use census_core::{
    AuditEntry, AuditFilter, DeviceId, DeviceRecord, LateArrival, NewPerson, Person, Questionnaire, Retired,
    Retirement, Territory,
};
use reqwest::Method;

use crate::replica::Replica;
use crate::sync_client::{SyncClient, SyncError};

impl Replica {
    fn signed_in_token(&self) -> Result<String, SyncError> {
        self.token()?.ok_or(SyncError::SignedOut)
    }

    /// Fetches the directory again after a change to it.
    fn refresh_directory(&mut self, client: &SyncClient, token: &str) -> Result<(), SyncError> {
        let reply = client.directory(token)?;
        Ok(self.cache_directory(&reply.directory)?)
    }

    /// Every device that ever signed in, with whose it is and when it last synced.
    pub fn devices(&self, client: &SyncClient) -> Result<Vec<DeviceRecord>, SyncError> {
        client.get_json(&self.signed_in_token()?, "devices", "list of devices")
    }

    /// The server's audit trail (security events), newest first: administrators only.
    pub fn audit_trail(&self, client: &SyncClient, filter: &AuditFilter) -> Result<Vec<AuditEntry>, SyncError> {
        client.get_json_with(&self.signed_in_token()?, "audit", filter, "audit trail")
    }

    /// The late work the server took (changes made before their pusher lost the right to make
    /// them), newest first, at most `limit`: managers and administrators.
    pub fn late_work(&self, client: &SyncClient, limit: u32) -> Result<Vec<LateArrival>, SyncError> {
        let query = serde_json::json!({ "limit": limit });
        client.get_json_with(&self.signed_in_token()?, "late-work", &query, "late work")
    }

    /// Revokes a device (lost, stolen, or handed back): it can no longer sync.
    pub fn revoke_device(&self, client: &SyncClient, device: DeviceId) -> Result<(), SyncError> {
        let _: serde_json::Value = client.send_json(
            &self.signed_in_token()?,
            Method::POST,
            "devices/revoke",
            &serde_json::json!({ "device": device }),
        )?;
        Ok(())
    }

    /// Adds someone who can then sign in with the password given.
    pub fn add_person(&mut self, client: &SyncClient, new: &NewPerson) -> Result<Person, SyncError> {
        let token = self.signed_in_token()?;
        let person = client.send_json(&token, Method::POST, "people", new)?;
        self.refresh_directory(client, &token)?;
        Ok(person)
    }

    /// Retires a departing person and hands their territories to the successor, in one step.
    pub fn retire_person(&mut self, client: &SyncClient, retirement: &Retirement) -> Result<Retired, SyncError> {
        let token = self.signed_in_token()?;
        let retired = client.send_json(&token, Method::POST, "people/retire", retirement)?;
        self.refresh_directory(client, &token)?;
        Ok(retired)
    }

    /// Creates or updates a territory: its name, outline, planned target and exactly its agents.
    pub fn save_territory(&mut self, client: &SyncClient, territory: &Territory) -> Result<Territory, SyncError> {
        let token = self.signed_in_token()?;
        let saved = client.send_json(&token, Method::PUT, "territories", territory)?;
        self.refresh_directory(client, &token)?;
        Ok(saved)
    }

    /// Publishes a questionnaire version; a published version never changes.
    pub fn publish_questionnaire(
        &mut self,
        client: &SyncClient,
        questionnaire: &Questionnaire,
    ) -> Result<Questionnaire, SyncError> {
        let token = self.signed_in_token()?;
        let published = client.send_json(&token, Method::POST, "questionnaires", questionnaire)?;
        self.refresh_directory(client, &token)?;
        Ok(published)
    }
}
