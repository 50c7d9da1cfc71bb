//! Limits that keep one caller from exhausting the hub: document size,
//! aliases and root fields (checked here, on the parsed document), depth
//! and complexity (async-graphql's own), page size (`graphql::page`),
//! request body size and execution time (`http`), and a request rate per
//! agency (a token bucket). Each refusal is quick, clear and leaves the
//! server serving everyone else.

use async_graphql::Name;
use async_graphql::parser::Positioned;
use async_graphql::parser::types::{
    Directive, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql_value::Value;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// The configured limits.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub max_document_bytes: usize,
    /// Field selections once fragment spreads are expanded (what
    /// validation walks).
    pub max_expanded_fields: usize,
    pub request_timeout: Duration,
    pub introspection: bool,
    /// Open WebSocket connections per agency, per node.
    pub max_connections_per_agency: usize,
    /// Live subscriptions per agency, per node.
    pub max_subscriptions_per_agency: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 16,
            max_complexity: 50_000,
            max_aliases: 30,
            max_root_fields: 20,
            max_document_bytes: 32 * 1024,
            max_expanded_fields: 5_000,
            request_timeout: Duration::from_secs(10),
            introspection: true,
            max_connections_per_agency: 16,
            max_subscriptions_per_agency: 64,
        }
    }
}

/// What the session learns of a document before async-graphql validates
/// it: the counts that bound what validating and running it can cost.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shape {
    /// Aliases anywhere (each fragment's own counted where it is defined).
    pub aliases: usize,
    /// Field selections with every fragment spread expanded, over every
    /// operation: what validation walks (at most the limit plus one).
    pub expanded: usize,
    /// The root fields of the operation to run, through inline fragments
    /// and fragment spreads, by name (a name once per selection).
    pub root_fields: Vec<String>,
    /// The type of the operation to run, if the document names one.
    pub kind: Option<OperationType>,
    /// Its name, if it has one.
    pub name: Option<String>,
}

impl Shape {
    /// How many times the operation selects the root field `name`.
    pub fn selects(&self, name: &str) -> usize {
        self.root_fields.iter().filter(|f| *f == name).count()
    }
}

/// Counts a document's aliases, its expanded size (up to `max_expanded`:
/// counting stops early past it, so the count itself is cheap) and the
/// root fields of the operation `operation_name` (or of its only one).
/// Refuses a fragment that spreads itself.
pub fn shape(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    max_expanded: usize,
) -> Result<Shape, String> {
    let mut aliases: usize = document
        .fragments
        .values()
        .map(|f| count_aliases(&f.node.selection_set.node))
        .sum();
    let mut sizes = Sizes {
        document,
        known: HashMap::new(),
        open: HashSet::new(),
        cap: max_expanded.saturating_add(1),
    };
    let mut expanded = 0usize;
    let mut chosen = None;
    let mut chosen_name = None;
    let mut count = 0;
    for (name, operation) in document.operations.iter() {
        count += 1;
        let set = &operation.node.selection_set.node;
        aliases += count_aliases(set);
        expanded = expanded.saturating_add(sizes.of_set(set)?).min(sizes.cap);
        if operation_name.is_none() || name.map(|n| n.as_str()) == operation_name {
            chosen = Some(&operation.node);
            chosen_name = name.map(|n| n.to_string());
        }
    }
    if operation_name.is_none() && count > 1 {
        chosen = None;
    }
    let mut roots = Roots {
        document,
        known: HashMap::new(),
    };
    let root_fields = match chosen {
        Some(operation) => roots.of_set(&operation.selection_set.node),
        None => Vec::new(),
    };
    Ok(Shape {
        aliases,
        expanded,
        root_fields,
        kind: chosen.map(|o| o.ty),
        name: chosen.and(chosen_name),
    })
}

/// Aliases anywhere in a selection set, counting each fragment's own
/// aliases where it is defined.
fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some())
                    + count_aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => count_aliases(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Expanded sizes of selection sets, each fragment's computed once.
struct Sizes<'d> {
    document: &'d ExecutableDocument,
    known: HashMap<&'d str, usize>,
    open: HashSet<&'d str>,
    /// Counting stops here.
    cap: usize,
}

impl<'d> Sizes<'d> {
    fn of_set(&mut self, set: &'d SelectionSet) -> Result<usize, String> {
        let mut total = 0usize;
        for item in &set.items {
            let size = match &item.node {
                Selection::Field(field) => {
                    1usize.saturating_add(self.of_set(&field.node.selection_set.node)?)
                }
                Selection::InlineFragment(fragment) => {
                    self.of_set(&fragment.node.selection_set.node)?
                }
                Selection::FragmentSpread(spread) => {
                    self.of_fragment(spread.node.fragment_name.node.as_str())?
                }
            };
            total = total.saturating_add(size);
            if total >= self.cap {
                return Ok(self.cap);
            }
        }
        Ok(total)
    }

    fn of_fragment(&mut self, name: &'d str) -> Result<usize, String> {
        if let Some(size) = self.known.get(name) {
            return Ok(*size);
        }
        // An unknown fragment is reported by validation.
        let Some((key, fragment)) = self.document.fragments.get_key_value(name) else {
            return Ok(0);
        };
        let key = key.as_str();
        if !self.open.insert(key) {
            return Err(format!("fragment {name} spreads itself"));
        }
        let size = self.of_set(&fragment.node.selection_set.node)?;
        self.open.remove(key);
        self.known.insert(key, size);
        Ok(size)
    }
}

/// Most root field names collected: far past any limit, and a bound on
/// the work of collecting them.
const MAX_ROOT_NAMES: usize = 1000;

/// The root fields of selection sets through fragments, each fragment's
/// computed once (a fragment that spreads itself is refused before this
/// runs).
struct Roots<'d> {
    document: &'d ExecutableDocument,
    known: HashMap<&'d str, Vec<String>>,
}

impl<'d> Roots<'d> {
    fn of_set(&mut self, set: &'d SelectionSet) -> Vec<String> {
        let mut names = Vec::new();
        for item in &set.items {
            if names.len() >= MAX_ROOT_NAMES {
                break;
            }
            match &item.node {
                Selection::Field(field) => names.push(field.node.name.node.to_string()),
                Selection::InlineFragment(fragment) => {
                    names.extend(self.of_set(&fragment.node.selection_set.node))
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    names.extend(self.of_fragment(name));
                }
            }
        }
        names.truncate(MAX_ROOT_NAMES);
        names
    }

    fn of_fragment(&mut self, name: &'d str) -> Vec<String> {
        if let Some(names) = self.known.get(name) {
            return names.clone();
        }
        let Some((key, fragment)) = self.document.fragments.get_key_value(name) else {
            return Vec::new();
        };
        // Marked first, so that a cycle (refused earlier anyway) ends here.
        self.known.insert(key.as_str(), Vec::new());
        let names = self.of_set(&fragment.node.selection_set.node);
        self.known.insert(key.as_str(), names.clone());
        names
    }
}

/// The longest string any argument or variable may carry (registers have
/// tighter limits per field).
pub const MAX_STRING_CHARS: usize = 10_000;

/// The one text rule at the edge: every string a caller sends — in the
/// variables or written in the document's arguments — has no control,
/// format (bidi, zero-width) or unassigned character and at most
/// [`MAX_STRING_CHARS`] characters, so none reaches a database or a log
/// (`text::is_forbidden` is the rule; registers normalise what they store).
pub fn check_strings(
    document: &ExecutableDocument,
    variables: &async_graphql::Variables,
) -> Result<(), String> {
    for (name, value) in variables.iter() {
        check_const(value, &format!("${name}"))?;
    }
    for (_, operation) in document.operations.iter() {
        for variable in &operation.node.variable_definitions {
            if let Some(default) = &variable.node.default_value {
                check_const(&default.node, &format!("${}", variable.node.name.node))?;
            }
        }
    }
    // Variables in a literal stand for null here: they are checked above.
    each_argument(document, |owner, name, value| {
        let literal = value
            .node
            .clone()
            .into_const_with(|_| Ok::<_, std::convert::Infallible>(async_graphql::Value::Null))
            .unwrap_or_default();
        check_const(&literal, &format!("{owner}.{}", name.node))
    })?;
    Ok(())
}

/// Calls `visit` with every argument of the document, of fields and of
/// directives (on fields, fragment spreads and inline fragments), in
/// operations and fragments alike: the field's name or `@directive`, the
/// argument's name and its value as written. Stops at the first error.
pub fn each_argument<E>(
    document: &ExecutableDocument,
    mut visit: impl FnMut(&str, &Positioned<Name>, &Positioned<Value>) -> Result<(), E>,
) -> Result<(), E> {
    fn directives<E>(
        list: &[Positioned<Directive>],
        visit: &mut impl FnMut(&str, &Positioned<Name>, &Positioned<Value>) -> Result<(), E>,
    ) -> Result<(), E> {
        for directive in list {
            let owner = format!("@{}", directive.node.name.node);
            for (name, value) in &directive.node.arguments {
                visit(&owner, name, value)?;
            }
        }
        Ok(())
    }
    let mut sets: Vec<&SelectionSet> = document
        .fragments
        .values()
        .map(|f| &f.node.selection_set.node)
        .collect();
    for (_, operation) in document.operations.iter() {
        sets.push(&operation.node.selection_set.node);
    }
    while let Some(set) = sets.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    for (name, value) in &field.node.arguments {
                        visit(field.node.name.node.as_str(), name, value)?;
                    }
                    directives(&field.node.directives, &mut visit)?;
                    sets.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(fragment) => {
                    directives(&fragment.node.directives, &mut visit)?;
                    sets.push(&fragment.node.selection_set.node);
                }
                Selection::FragmentSpread(spread) => {
                    directives(&spread.node.directives, &mut visit)?;
                }
            }
        }
    }
    Ok(())
}

fn check_text(text: &str, at: &str) -> Result<(), String> {
    if text.chars().count() > MAX_STRING_CHARS {
        return Err(format!(
            "{at}: a string has more than {MAX_STRING_CHARS} characters"
        ));
    }
    if let Some(c) = text.chars().find(|c| crate::text::is_forbidden(*c)) {
        return Err(format!(
            "{at}: a string holds the character U+{:04X}, which is not allowed (control, format or invisible characters)",
            c as u32
        ));
    }
    Ok(())
}

fn check_const(value: &async_graphql::Value, at: &str) -> Result<(), String> {
    use async_graphql::Value;
    match value {
        Value::String(text) => check_text(text, at),
        Value::List(items) => items.iter().try_for_each(|v| check_const(v, at)),
        Value::Object(fields) => fields
            .iter()
            .try_for_each(|(k, v)| check_const(v, &format!("{at}.{k}"))),
        _ => Ok(()),
    }
}

/// Refuses a document whose shape exceeds the limits, before async-graphql
/// validates it (validation expands fragment spreads, so an unbounded
/// expansion would take a core for seconds).
pub fn check_shape(shape: &Shape, limits: &Limits) -> Result<(), String> {
    if shape.expanded > limits.max_expanded_fields {
        return Err(format!(
            "the document selects more than {} fields once its fragments are expanded",
            limits.max_expanded_fields
        ));
    }
    if shape.aliases > limits.max_aliases {
        return Err(format!(
            "the document has {} aliases; at most {} are allowed",
            shape.aliases, limits.max_aliases
        ));
    }
    if shape.root_fields.len() > limits.max_root_fields {
        return Err(format!(
            "the operation selects {} root fields (fragments included); at most {} are allowed",
            shape.root_fields.len(),
            limits.max_root_fields
        ));
    }
    if shape.selects("verifyCitizen") > 1 {
        return Err(
            "verifyCitizen may be asked once per request: each attempt is recorded on its own"
                .into(),
        );
    }
    Ok(())
}

mod rate;

pub use rate::{RateLimits, VerifyLimits};

#[cfg(test)]
mod tests;
