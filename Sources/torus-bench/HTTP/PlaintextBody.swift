/// The body every plaintext server answers with (as in the TechEmpower plaintext test).
let plaintextBody = "Hello, World!"
