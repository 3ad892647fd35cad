#[gocsp::main]
async fn main() {}
