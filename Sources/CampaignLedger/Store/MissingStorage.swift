/// Thrown inside an append transaction when a build became ready in another process and its
/// databases are not open here yet: the append is retried after opening them.
struct MissingStorage: Error {
    let number: UInt32
}
