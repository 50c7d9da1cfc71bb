//! Public reference data: provinces, communes and the former units they
//! replaced. Any authenticated agency may read it; it is served from memory.

use super::page::{Conn, CursorKind, connection};
use crate::error::Gql;
use crate::ids;
use crate::refdata::{self, reference};
use async_graphql::{Context, Enum, Object};

/// The kind of a province-level unit.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ProvinceKind {
    /// A province (tỉnh).
    Province,
    /// A centrally-run city (thành phố trực thuộc trung ương).
    City,
}

/// The kind of a commune-level unit.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum CommuneKind {
    /// A rural commune (xã).
    Commune,
    /// An urban ward (phường).
    Ward,
    /// A special zone (đặc khu), mostly islands.
    SpecialZone,
}

/// A province or centrally-run city, one of the 34 in force since 1 July 2025.
pub struct Province(pub &'static refdata::Province);

/// A province or centrally-run city, one of the 34 in force since 1 July 2025.
#[Object]
impl Province {
    /// Two-digit statistical code, e.g. `68`.
    async fn code(&self) -> &str {
        self.0.code
    }

    /// Official name, e.g. `Tỉnh Lâm Đồng`.
    async fn name(&self) -> &str {
        self.0.name
    }

    /// Name without prefix and diacritics, e.g. `Lam Dong`.
    async fn name_en(&self) -> &str {
        self.0.name_en
    }

    /// Province or centrally-run city.
    async fn kind(&self) -> ProvinceKind {
        match self.0.kind {
            "thanh_pho_trung_uong" => ProvinceKind::City,
            _ => ProvinceKind::Province,
        }
    }

    /// The province's communes, wards and special zones, in code order.
    #[graphql(complexity = "first.unwrap_or(50).max(0) as usize * child_complexity + 1")]
    async fn communes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 50 by default, at most 500.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last commune of the previous page.")] after: Option<String>,
    ) -> async_graphql::Result<Option<Conn<Commune>>> {
        let (listing, page) = super::paged(ctx, CursorKind::Communes, &self.0.code, first, after)?;
        let codes = reference()
            .communes_by_province
            .get(self.0.code)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let start = match &page.after {
            Some(key) => codes.partition_point(|c| *c <= key[0].as_str()),
            None => 0,
        };
        let rows: Vec<&'static str> = codes[start..]
            .iter()
            .take(page.limit() as usize)
            .copied()
            .collect();
        Ok(Some(connection(
            rows,
            &page,
            |code| listing.cursor(&[code]),
            |code| Commune(reference().commune(code).expect("indexed")),
        )))
    }

    /// The provinces in force before 1 July 2025 that were merged into this one.
    #[graphql(complexity = "super::LIST * child_complexity + 1")]
    async fn former_provinces(&self) -> Vec<FormerProvince> {
        let data = reference();
        data.legacy_provinces_by_new
            .get(self.0.code)
            .into_iter()
            .flatten()
            .map(|code| FormerProvince(&data.legacy_provinces[code]))
            .collect()
    }
}

/// A commune, ward or special zone, one of the 3,321 in force since 1 July 2025.
pub struct Commune(pub &'static refdata::Commune);

/// A commune, ward or special zone, one of the 3,321 in force since 1 July 2025.
#[Object]
impl Commune {
    /// Five-digit statistical code, e.g. `00004`.
    async fn code(&self) -> &str {
        self.0.code
    }

    /// Official name, e.g. `Phường Ba Đình`.
    async fn name(&self) -> &str {
        self.0.name
    }

    /// Name without diacritics, e.g. `Phuong Ba Dinh`.
    async fn name_ascii(&self) -> &str {
        self.0.name_ascii
    }

    /// Commune, ward or special zone.
    async fn kind(&self) -> CommuneKind {
        match self.0.kind {
            "phuong" => CommuneKind::Ward,
            "dac_khu" => CommuneKind::SpecialZone,
            _ => CommuneKind::Commune,
        }
    }

    /// The province the commune belongs to.
    async fn province(&self) -> Province {
        Province(
            reference()
                .province(self.0.province_code)
                .expect("reference data is consistent"),
        )
    }

    /// The communes in force before 1 July 2025 that became (part of) this one.
    #[graphql(complexity = "super::LIST * child_complexity + 1")]
    async fn former_communes(&self) -> Vec<FormerCommune> {
        reference()
            .legacy_communes_by_new
            .get(self.0.code)
            .into_iter()
            .flatten()
            .map(FormerCommune)
            .collect()
    }
}

/// A province in force until 30 June 2025.
pub struct FormerProvince(pub &'static refdata::LegacyProvince);

/// A province in force until 30 June 2025.
#[Object]
impl FormerProvince {
    /// Its two-digit code in the former list (also the first digits of
    /// personal ids registered there, after a leading `0`).
    async fn code(&self) -> &str {
        self.0.code
    }

    /// Its name, e.g. `Tỉnh Đắk Nông`.
    async fn name(&self) -> &str {
        self.0.name
    }

    /// The province it was merged into.
    async fn new_province(&self) -> Province {
        Province(
            reference()
                .province(self.0.new_province_code)
                .expect("reference data is consistent"),
        )
    }
}

/// A commune in force until 30 June 2025, as part of the commune it went into.
pub struct FormerCommune(pub &'static refdata::LegacyCommune);

/// A commune in force until 30 June 2025, as part of the commune it went into.
#[Object]
impl FormerCommune {
    /// Its five-digit code in the former list.
    async fn code(&self) -> &str {
        self.0.old_code
    }

    /// Its name.
    async fn name(&self) -> &str {
        self.0.old_name
    }

    /// The district it belonged to (districts were abolished on 1 July 2025).
    async fn district_name(&self) -> &str {
        self.0.old_district_name
    }

    /// The former province it belonged to.
    async fn former_province(&self) -> Option<FormerProvince> {
        reference()
            .legacy_provinces
            .get(self.0.old_province_code)
            .map(FormerProvince)
    }
}

/// Queries of the reference data.
#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// The 34 provinces and centrally-run cities, in code order.
    #[graphql(complexity = "super::LIST * child_complexity + 1")]
    async fn provinces(&self) -> Vec<Province> {
        reference().provinces.values().map(Province).collect()
    }

    /// A province by its two-digit code; `null` if none has it.
    async fn province(&self, code: String) -> async_graphql::Result<Option<Province>> {
        if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return ids::check_province_code(&code).map(|_| None).gql();
        }
        Ok(reference().province(&code).map(Province))
    }

    /// A commune by its five-digit code; `null` if none has it.
    async fn commune(&self, code: String) -> async_graphql::Result<Option<Commune>> {
        if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return ids::check_commune_code(&code).map(|_| None).gql();
        }
        Ok(reference().commune(&code).map(Commune))
    }
}
