//! README.md's first scenario runs as written and prints what the README
//! shows, to the digit.

use crate::support::{root, run_text};

#[test]
fn the_readme_first_scenario_prints_what_the_readme_shows() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let (_, rest) = readme
        .split_once("<!-- first-scenario -->\n```toml\n")
        .expect("the first scenario's marker");
    let (scenario, rest) = rest.split_once("```\n<!-- /first-scenario -->").expect("its end");
    assert!(scenario.lines().count() <= 20, "about 15 lines:\n{scenario}");
    let shown = rest
        .split_once("```\n")
        .and_then(|(_, block)| block.split_once("\n```"))
        .map(|(block, _)| block)
        .expect("the output block after it");

    let (_dir, output) = run_text(scenario);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let printed: Vec<&str> = stdout.lines().take(shown.lines().count()).collect();
    assert_eq!(printed, shown.lines().collect::<Vec<_>>(), "{stdout}");
}
