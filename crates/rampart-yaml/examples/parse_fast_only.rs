fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let mut texts = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else if p.extension().is_some_and(|e| e == "yaml") {
                texts.push(std::fs::read_to_string(p).unwrap())
            }
        }
    }
    for _ in 0..10 {
        for t in &texts {
            std::hint::black_box(rampart_yaml::fast_documents(t));
        }
    }
}
