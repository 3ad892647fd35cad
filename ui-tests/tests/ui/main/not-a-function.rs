#[gocsp::main]
struct App;

fn main() {}
