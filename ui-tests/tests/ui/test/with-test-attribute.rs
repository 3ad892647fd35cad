#[gocsp::test]
#[test]
fn pipeline_works() {}

fn main() {}
