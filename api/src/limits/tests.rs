//! Unit tests of `limits`.

use super::*;

fn shape_of(query: &str) -> Result<Shape, String> {
    shape(
        &async_graphql::parser::parse_query(query).unwrap(),
        None,
        5_000,
    )
}

#[test]
fn aliases_and_root_fields_are_counted_through_fragments() {
    let shape = shape_of(
        "query { a: me { agencyCode } b: me { x: agencyCode } provinces { code } ...F
                 ... on QueryRoot { d: provinces { code } e: provinces { code } } }
         fragment F on QueryRoot { c: provinces { code } }",
    )
    .unwrap();
    assert_eq!(shape.aliases, 6);
    assert_eq!(shape.root_fields.len(), 6);
    assert_eq!(shape.kind, Some(OperationType::Query));
    assert_eq!(shape.expanded, 12);
}

#[test]
fn doubled_fragment_spreads_are_counted_without_expanding_them() {
    // Each level spreads the one below twice: 2^40 fields expanded.
    let mut query = String::from("query { ...F0 }\n");
    for i in 0..40 {
        query.push_str(&format!(
            "fragment F{i} on QueryRoot {{ ...F{} ...F{} }}\n",
            i + 1,
            i + 1
        ));
    }
    query.push_str("fragment F40 on QueryRoot { me { agencyCode } }\n");
    let started = std::time::Instant::now();
    let shape = shape_of(&query).unwrap();
    assert_eq!(shape.expanded, 5_001, "counting stops past the limit");
    assert!(check_shape(&shape, &Limits::default()).is_err());
    // Memoised: linear in the document, not in its expansion.
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_fragment_that_spreads_itself_is_refused() {
    let refused = shape_of(
        "query { ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }",
    )
    .unwrap_err();
    assert!(refused.contains("spreads itself"), "{refused}");
}

#[test]
fn verify_citizen_is_asked_once_per_request() {
    let once = shape_of("{ verifyCitizen(input: {personalId: \"1\"}) { matches } }").unwrap();
    assert!(check_shape(&once, &Limits::default()).is_ok());
    let twice = shape_of(
        "{ ... on QueryRoot { a: verifyCitizen(input: {personalId: \"1\"}) { matches } }
           b: verifyCitizen(input: {personalId: \"1\"}) { matches } }",
    )
    .unwrap();
    assert!(check_shape(&twice, &Limits::default()).is_err());
}

#[test]
fn strings_with_control_or_invisible_characters_are_refused_everywhere() {
    let document = async_graphql::parser::parse_query(
        "query ($x: String = \"ok\") { citizens(filter: { name: \"Nguy\u{0}n\" }) { edges { cursor } } }",
    )
    .unwrap();
    let refused = check_strings(&document, &Default::default()).unwrap_err();
    assert!(refused.contains("citizens.filter.name"), "{refused}");
    let clean =
        async_graphql::parser::parse_query("query ($x: String) { me { agencyCode } }").unwrap();
    let variables = async_graphql::Variables::from_json(serde_json::json!({
        "x": { "deep": ["Lê\u{202e}Lợi"] }
    }));
    let refused = check_strings(&clean, &variables).unwrap_err();
    assert!(
        refused.contains("U+202E") && refused.contains("$x.deep"),
        "{refused}"
    );
    let fine = async_graphql::Variables::from_json(serde_json::json!({ "x": "Nguyễn Văn Anh" }));
    assert!(check_strings(&clean, &fine).is_ok());
    let long = async_graphql::Variables::from_json(serde_json::json!({ "x": "a".repeat(10_001) }));
    assert!(check_strings(&clean, &long).is_err());
}

#[test]
fn verification_attempts_are_limited_per_agency_and_subject() {
    let limits = VerifyLimits::new(10, 3);
    for _ in 0..3 {
        assert!(limits.check("UBND-68", "079085000001").is_ok());
    }
    assert!(limits.check("UBND-68", "079085000001").is_err());
    assert!(limits.check("UBND-68", "079085000002").is_ok());
    assert!(limits.check("UBND-01", "079085000001").is_ok());
}

#[test]
fn the_bucket_empties_and_names_the_wait() {
    let limits = RateLimits::new(1, 2);
    assert!(limits.check("UBND-68").is_ok());
    assert!(limits.check("UBND-68").is_ok());
    let wait = limits.check("UBND-68").unwrap_err();
    assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1));
    assert!(limits.check("BCA").is_ok(), "buckets are per agency");
}
