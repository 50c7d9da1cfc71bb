//! What each command does once parsed (serving is `startup`); the
//! commands and their flags are `mod.rs`.

use super::{AuditCommand, Command};
use crate::access::cache::AccessCache;
use crate::access::issue;
use crate::audit::key::AuditKey;
use crate::auth::ScopeSet;
use crate::auth::keys::SigningKeys;
use crate::seed::{self, SeedSize};
use crate::startup::Application;
use crate::{db, graphql};
use anyhow::Context;

pub(super) async fn execute(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { config } => {
            let demo = config.demo;
            let app = Application::build(config).await?;
            if demo {
                app.print_demo_banner().await?;
            } else {
                tracing::info!(port = app.port(), "serving");
            }
            app.run_until_stopped().await?;
        }
        Command::Audit {
            action: AuditCommand::Verify { config },
        } => {
            let key = AuditKey::load(&config.audit_key_path())?;
            let db = open(&config).await?;
            let report = crate::audit::verify::verify(&db.conn, &key)
                .await
                .context("the access log is not intact")?;
            println!(
                "access log intact: {} rows checked in {} chains",
                report.rows, report.chains
            );
        }
        Command::Migrate { config } => {
            let db = open(&config).await?;
            db::migrate(&db.conn).await?;
            println!("database is up to date");
        }
        Command::Seed {
            config,
            citizens,
            enterprises,
            parcels,
            seed: random_seed,
        } => {
            let db = open(&config).await?;
            db::migrate(&db.conn).await?;
            seed::ensure_demo_agencies(&db.conn).await?;
            let size = SeedSize {
                citizens,
                enterprises,
                parcels,
            };
            let report = seed::seed(&db.conn, size, random_seed, true).await?;
            println!("seeded {report}");
        }
        Command::Token {
            config,
            agency,
            scopes,
            ttl,
        } => {
            let requested = if scopes.is_empty() {
                None
            } else {
                Some(ScopeSet::parse(&scopes.join(" ")).map_err(anyhow::Error::msg)?)
            };
            let db = open(&config).await?;
            db::migrate(&db.conn).await?;
            if config.demo {
                seed::ensure_demo_agencies(&db.conn).await?;
            }
            let keys = SigningKeys::load_or_create(&config.signing_key_path(), config.demo)?
                .with_previous(&config.previous_signing_keys)?;
            let cache = AccessCache::new(db.conn.clone());
            let issued = issue::issue(
                &cache,
                &keys,
                &config.token_settings(),
                &agency,
                requested,
                ttl.unwrap_or(config.token_ttl),
            )
            .await?;
            println!("{}", issued.token);
        }
        Command::RegisterAgency {
            config,
            code,
            name,
            kind,
            province_code,
            owns,
        } => {
            use entities::access::{AgencyKind, Dataset};
            let db = open(&config).await?;
            db::migrate(&db.conn).await?;
            let kind = match kind.as_str() {
                "hub" => AgencyKind::Hub,
                "province" => AgencyKind::Province,
                _ => AgencyKind::Ministry,
            };
            let owns = owns
                .iter()
                .map(|d| match d.as_str() {
                    "population" => Dataset::Population,
                    "land" => Dataset::Land,
                    _ => Dataset::Enterprise,
                })
                .collect();
            let input = crate::access::service::NewAgency {
                code,
                name,
                kind,
                province_code,
                owns,
            };
            let (agency, secret) = crate::access::service::register_agency(
                &db.conn,
                crate::access::service::Actor::Server,
                input,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "registered {}; client secret (shown once): {secret}",
                agency.code
            );
        }
        Command::ResetClientSecret { config, code } => {
            let db = open(&config).await?;
            db::migrate(&db.conn).await?;
            let (agency, secret) = crate::access::service::rotate_client_secret(
                &db.conn,
                crate::access::service::Actor::Server,
                &code,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "new client secret of {} (shown once): {secret}",
                agency.code
            );
        }
        Command::SetAgencyStatus {
            config,
            code,
            status,
        } => {
            use entities::access::AgencyStatus;
            let db = open(&config).await?;
            db::migrate(&db.conn).await?;
            let status = match status.as_str() {
                "suspended" => AgencyStatus::Suspended,
                _ => AgencyStatus::Active,
            };
            let cache = AccessCache::new(db.conn.clone());
            let agency = crate::access::service::set_agency_status(
                &db.conn,
                &cache,
                crate::access::service::Actor::Server,
                &code,
                status,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{} is now {:?}", agency.code, agency.status);
        }
        Command::Config { .. } => unreachable!("`config check` runs without a runtime"),
        Command::Schema => print!("{}", graphql::sdl()),
    }
    Ok(())
}

/// The database of a command, once it answers (said plainly if it does
/// not, rather than after the pool's time-out).
async fn open(config: &crate::config::Config) -> anyhow::Result<db::Db> {
    crate::preflight::reach_database(&config.database_url).await?;
    db::connect(&config.database_url, config.db_max_connections, None).await
}
