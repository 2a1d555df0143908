import CMalloc

/// Process-wide memory settings for a process that rebuilds. The `ledger` command and the
/// benchmark apply them when they start; a service that rebuilds in process may call
/// `keepFreedMemoryForReuse()` at its start too. They are the whole process's, so they live
/// here, beside the library rather than in it: the library never changes them.
public enum ProcessMemory {
    /// Has glibc's malloc keep the memory it is given back, for reuse, rather than returning it
    /// to the system at once: blocks up to 32 MiB come from its heaps (instead of a mapping of
    /// their own, unmapped when freed), and up to 128 MiB free at the top of a heap stays there.
    ///
    /// A rebuild's bulk phase frees each campaign's folds once it has encoded them, and then
    /// allocates the next campaign's records; kept, that memory is reused, instead of being
    /// faulted in again page by page (about a tenth of a rebuild's CPU time,
    /// docs/performance.md). Without glibc (macOS) it does nothing.
    public static func keepFreedMemoryForReuse() {
        #if os(Linux)
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 128 << 20)
        #endif
    }
}
