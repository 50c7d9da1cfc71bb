//! Records the version of the compiler that builds the hub, for the
//! `lienthong_build_info` metric.

fn main() {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.split_whitespace().nth(1).map(str::to_owned))
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=LIENTHONG_RUSTC={version}");
    println!("cargo:rerun-if-changed=build.rs");
}
