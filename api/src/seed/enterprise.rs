//! The business-register part of the demo data: enterprises with tax
//! codes, a legal representative, members (citizens, and enterprises of
//! joint-stock companies) sharing the capital, and industries. Citizens and
//! land are not here.

use super::{Generator, names, seeded_at};
use crate::{ids, text};
use entities::enterprise::{
    EnterpriseStatus, EnterpriseType, MemberKind, enterprise, enterprise_industry,
    enterprise_member,
};
use rand::Rng;
use rand::seq::SliceRandom;

impl Generator {
    fn tax_code(&mut self, province: &'static str) -> String {
        loop {
            let serial = self.tax_serials.entry(province).or_insert(100_000);
            *serial += 1;
            let first_nine = format!("{province}{serial:07}");
            let digits: [u8; 9] = first_nine
                .bytes()
                .map(|b| b - b'0')
                .collect::<Vec<_>>()
                .try_into()
                .expect("nine digits");
            if let Some(check) = ids::tax_code_check_digit(&digits) {
                return format!("{first_nine}{check}");
            }
        }
    }

    pub(super) fn enterprise(
        &mut self,
    ) -> anyhow::Result<(
        enterprise::Model,
        Vec<enterprise_member::Model>,
        Vec<enterprise_industry::Model>,
    )> {
        let commune = self.commune();
        let province = commune.province_code;
        let code = self.tax_code(province);
        let kind = *[
            EnterpriseType::LlcOne,
            EnterpriseType::LlcOne,
            EnterpriseType::LlcOne,
            EnterpriseType::LlcMulti,
            EnterpriseType::LlcMulti,
            EnterpriseType::JointStock,
            EnterpriseType::JointStock,
            EnterpriseType::Private,
            EnterpriseType::Partnership,
        ]
        .choose(&mut self.rng)
        .expect("types");
        let (trade, trade_en, vsic) = *names::TRADES.choose(&mut self.rng).expect("trades");
        let brand = self.names.brand(&mut self.rng);
        let (prefix, suffix_en) = match kind {
            EnterpriseType::LlcOne => ("Công ty TNHH Một thành viên", "One Member Company Limited"),
            EnterpriseType::LlcMulti => ("Công ty TNHH", "Company Limited"),
            EnterpriseType::JointStock => ("Công ty Cổ phần", "Joint Stock Company"),
            EnterpriseType::Private => ("Doanh nghiệp tư nhân", "Private Enterprise"),
            EnterpriseType::Partnership => ("Công ty Hợp danh", "Partnership"),
        };
        let name = format!("{prefix} {trade} {brand}");
        let name_en = format!(
            "{} {trade_en} {suffix_en}",
            text::fold(&brand).to_uppercase()
        );
        let status = match self.rng.gen_range(0..100) {
            0..85 => EnterpriseStatus::Active,
            85..95 => EnterpriseStatus::Suspended,
            _ => EnterpriseStatus::Dissolved,
        };
        let rep = self.adult_in(province)?;
        let rep_id = self.people[rep as usize].id.clone();
        let founded_year = self.rng.gen_range(1995..=2025);
        let founded_on = self.date_in(founded_year);
        let capital = *[100u64, 500, 1_000, 2_000, 5_000, 10_000, 50_000]
            .choose(&mut self.rng)
            .expect("capitals") as i64
            * 1_000_000;

        let member_count = match kind {
            EnterpriseType::LlcOne | EnterpriseType::Private => 1,
            EnterpriseType::LlcMulti => self.rng.gen_range(2..=4),
            EnterpriseType::JointStock => self.rng.gen_range(3..=6),
            EnterpriseType::Partnership => self.rng.gen_range(2..=3),
        };
        let mut member_ids: Vec<(MemberKind, String)> = vec![(MemberKind::Citizen, rep_id.clone())];
        while member_ids.len() < member_count {
            let candidate = if kind == EnterpriseType::JointStock
                && !self.enterprises.is_empty()
                && self.rng.gen_bool(0.2)
            {
                let (code, _) = self.enterprises.choose(&mut self.rng).expect("non-empty");
                (MemberKind::Enterprise, code.clone())
            } else {
                let person = self.adult_in(province)?;
                (MemberKind::Citizen, self.people[person as usize].id.clone())
            };
            if member_ids.contains(&candidate) {
                // Small provinces may have few adults: accept fewer members.
                if self.rng.gen_bool(0.5) {
                    break;
                }
                continue;
            }
            member_ids.push(candidate);
        }
        let shares = split_whole(&mut self.rng, member_ids.len());
        let members = member_ids
            .into_iter()
            .zip(shares)
            .map(
                |((member_kind, member_id), share_bp)| enterprise_member::Model {
                    enterprise_code: code.clone(),
                    member_kind,
                    member_id,
                    share_bp,
                },
            )
            .collect();

        let mut vsics = vec![vsic];
        for _ in 0..self.rng.gen_range(0..=2) {
            let (_, _, other) = *names::TRADES.choose(&mut self.rng).expect("trades");
            if !vsics.contains(&other) {
                vsics.push(other);
            }
        }
        let industries = vsics
            .iter()
            .enumerate()
            .map(|(i, v)| enterprise_industry::Model {
                enterprise_code: code.clone(),
                vsic_code: (*v).to_owned(),
                is_main: i == 0,
            })
            .collect();

        let index = self.enterprises.len() as u32;
        self.enterprises.push((code.clone(), province));
        self.enterprises_by_province
            .entry(province)
            .or_default()
            .push(index);
        let row = enterprise::Model {
            search_name: text::fold(&name),
            name,
            name_en: Some(name_en),
            code,
            enterprise_type: kind,
            status,
            founded_on,
            registered_capital_vnd: capital,
            head_office_commune: commune.code.to_owned(),
            head_office_province: province.to_owned(),
            head_office_line: names::address(&mut self.rng, commune.kind),
            legal_rep_id: rep_id,
            version: 1,
            updated_at: seeded_at(),
        };
        Ok((row, members, industries))
    }
}

/// Splits 10,000 basis points into `n` positive shares, the first largest.
fn split_whole<R: Rng>(rng: &mut R, n: usize) -> Vec<i32> {
    if n <= 1 {
        return vec![10_000];
    }
    let first = rng.gen_range(3_000..=7_000);
    let mut shares = vec![first];
    let mut left = 10_000 - first;
    for i in 1..n {
        let share = if i == n - 1 {
            left
        } else {
            let most = left - (n - 1 - i) as i32 * 100;
            rng.gen_range(100..=most.max(100)).min(left / 2).max(100)
        };
        shares.push(share);
        left -= share;
    }
    shares
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn shares_always_make_a_whole() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for n in 1..=6 {
            for _ in 0..200 {
                let shares = split_whole(&mut rng, n);
                assert_eq!(shares.len(), n);
                assert_eq!(shares.iter().sum::<i32>(), 10_000);
                assert!(shares.iter().all(|s| *s > 0), "{shares:?}");
            }
        }
    }
}
