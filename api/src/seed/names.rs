//! Realistic Vietnamese names, addresses and enterprise names for the demo
//! data, drawn from `migration/data/vietnamese_names.csv`.

use entities::population::Sex;
use migration::reference as csv;
use rand::Rng;
use rand::distributions::{Distribution, WeightedIndex};
use rand::seq::SliceRandom;

/// The name lists, with the family names weighted by their share.
pub struct Names {
    family: Vec<&'static str>,
    family_weights: WeightedIndex<f64>,
    middle_male: Vec<&'static str>,
    middle_female: Vec<&'static str>,
    given_male: Vec<&'static str>,
    given_female: Vec<&'static str>,
    ethnic: Vec<&'static str>,
    ethnic_weights: WeightedIndex<f64>,
}

impl Names {
    pub fn load() -> Names {
        let mut family = Vec::new();
        let mut weights = Vec::new();
        let (mut middle_male, mut middle_female) = (Vec::new(), Vec::new());
        let (mut given_male, mut given_female) = (Vec::new(), Vec::new());
        for row in csv::rows(csv::NAMES) {
            let (kind, name, sex, share) = (row[0], row[1], row[2], row[3]);
            match kind {
                "family" => {
                    family.push(name);
                    // Hoàng/Huỳnh and Vũ/Võ share one figure between them;
                    // names without a figure are common but below 1 %.
                    let weight = match name {
                        "Hoàng" | "Huỳnh" => 2.55,
                        "Vũ" | "Võ" => 1.95,
                        _ => share.parse().unwrap_or(0.5),
                    };
                    weights.push(weight);
                }
                "middle" | "given" => {
                    let (male, female) = if kind == "middle" {
                        (&mut middle_male, &mut middle_female)
                    } else {
                        (&mut given_male, &mut given_female)
                    };
                    if sex != "female" {
                        male.push(name);
                    }
                    if sex != "male" {
                        female.push(name);
                    }
                }
                _ => {}
            }
        }
        let ethnic_rows: Vec<Vec<&'static str>> = csv::rows(csv::ETHNIC_GROUPS).collect();
        let ethnic = ethnic_rows.iter().map(|r| r[0]).collect();
        let ethnic_weights = WeightedIndex::new(
            ethnic_rows
                .iter()
                .map(|r| r[1].parse::<f64>().expect("share")),
        )
        .expect("weights");
        Names {
            family,
            family_weights: WeightedIndex::new(weights).expect("weights"),
            middle_male,
            middle_female,
            given_male,
            given_female,
            ethnic,
            ethnic_weights,
        }
    }

    pub fn family<R: Rng>(&self, rng: &mut R) -> &'static str {
        self.family[self.family_weights.sample(rng)]
    }

    /// A middle and given name for a person of `sex`.
    pub fn personal<R: Rng>(&self, rng: &mut R, sex: Sex) -> (&'static str, &'static str) {
        let (middles, givens) = match sex {
            Sex::Male => (&self.middle_male, &self.given_male),
            Sex::Female => (&self.middle_female, &self.given_female),
        };
        let middle = if sex == Sex::Female && rng.gen_bool(0.4) {
            "Thị"
        } else {
            middles.choose(rng).expect("middle names")
        };
        (middle, givens.choose(rng).expect("given names"))
    }

    pub fn ethnicity<R: Rng>(&self, rng: &mut R) -> &'static str {
        self.ethnic[self.ethnic_weights.sample(rng)]
    }

    /// A two-word brand for an enterprise, e.g. `Minh Phát`.
    pub fn brand<R: Rng>(&self, rng: &mut R) -> String {
        let a = self.given_male.choose(rng).expect("names");
        let b = BRAND_WORDS.choose(rng).expect("words");
        format!("{a} {b}")
    }
}

const BRAND_WORDS: &[&str] = &[
    "Phát", "Thịnh", "Lộc", "Phúc", "An", "Thành", "Hưng", "Long", "Việt", "Tín", "Đạt", "Khang",
    "Hòa", "Tiến", "Vượng", "Nam", "Sơn", "Hải",
];

const STREETS: &[&str] = &[
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Quang Trung",
    "Hùng Vương",
    "Nguyễn Huệ",
    "Phan Chu Trinh",
    "Lê Duẩn",
    "Điện Biên Phủ",
    "Võ Thị Sáu",
    "Nguyễn Văn Cừ",
    "Trường Chinh",
    "Bà Triệu",
    "Phạm Văn Đồng",
];

/// A street address within a commune: a house number and street in a
/// ward, a hamlet in a rural commune.
pub fn address<R: Rng>(rng: &mut R, commune_kind: &str) -> String {
    if commune_kind == "phuong" {
        format!(
            "Số {} đường {}",
            rng.gen_range(1..400),
            STREETS.choose(rng).expect("streets")
        )
    } else {
        let hamlet = ["Thôn", "Xóm", "Ấp", "Bản"].choose(rng).expect("hamlets");
        format!("{hamlet} {}", rng.gen_range(1..20))
    }
}

/// Words of an enterprise name by line of business, in Vietnamese and English.
pub const TRADES: &[(&str, &str, &str)] = &[
    ("Thương mại", "Trading", "4610"),
    ("Xây dựng", "Construction", "4101"),
    ("Công nghệ", "Technology", "6201"),
    ("Vận tải", "Logistics", "4933"),
    ("Thực phẩm", "Food", "1071"),
    ("Bất động sản", "Real Estate", "6810"),
    ("Du lịch", "Travel", "5510"),
    ("Tư vấn", "Consulting", "7020"),
    ("May mặc", "Garment", "1410"),
    ("Nông sản", "Agricultural Products", "4632"),
];
