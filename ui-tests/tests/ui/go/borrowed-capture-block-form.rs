use gocsp::prelude::*;

fn main() {
    let name = String::from("gopher");
    let r: &str = &name;
    go! {
        println!("{r}");
    }
}
