use gocsp::prelude::*;

go_syntax! {
    fn either(p bool, q bool) -> bool {
        ok := p
            || q
        ok && q
    }
}

fn main() {
    either(false, true);
}
