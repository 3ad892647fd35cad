use gocsp::prelude::*;

go_syntax! {
    fn first_two(s &[i32]) -> usize {
        t := s[0:2:4]
        len(t)
    }
}

fn main() {
    let _ = first_two(&[1, 2, 3]);
}
