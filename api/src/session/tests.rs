//! Unit tests of `session`.

use super::run::label;
use super::*;

#[test]
fn places_are_capped_per_agency_and_given_back() {
    let occupancy = Arc::new(Occupancy::default());
    let a = occupancy.take("UBND-68", 2).unwrap();
    let _b = occupancy.take("UBND-68", 2).unwrap();
    assert!(occupancy.take("UBND-68", 2).is_none());
    assert!(occupancy.take("BCA", 2).is_some(), "caps are per agency");
    drop(a);
    assert_eq!(occupancy.held("UBND-68"), 1);
    assert!(occupancy.take("UBND-68", 2).is_some());
}

#[test]
fn metric_labels_come_from_the_schema() {
    let shape = |roots: &[&str]| Shape {
        root_fields: roots.iter().map(|r| r.to_string()).collect(),
        ..Shape::default()
    };
    assert_eq!(label(&shape(&["citizen"]), true), "citizen");
    assert_eq!(label(&shape(&["citizen", "citizen"]), true), "citizen");
    assert_eq!(label(&shape(&["citizen", "me"]), true), "multiple");
    assert_eq!(label(&shape(&["junk-name"]), false), "invalid");
}
