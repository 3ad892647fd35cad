#[gocsp::test]
async fn pipeline_works() {}

fn main() {}
