#[gocsp::main]
fn start() {}

fn main() {
    start();
}
