/// An array kept in segments of at most `segmentSize` elements, so that appending never moves
/// the elements already there. A campaign's contact folds live in one: a plain array doubling to
/// hundreds of thousands of folds copies them all at each doubling and touches twice their memory
/// (fresh pages, each a page fault), which costs a rebuild's bulk phase more than folding them.
/// Subscripts read and modify in place.
struct SegmentedArray<Element>: RandomAccessCollection {
    static var segmentShift: Int { 12 }
    static var segmentSize: Int { 1 << segmentShift }

    private var segments: [[Element]] = []
    private(set) var count = 0

    init() {}

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    subscript(i: Int) -> Element {
        _read {
            precondition(i >= 0 && i < count, "index out of range")
            yield segments[i >> Self.segmentShift][i & (Self.segmentSize - 1)]
        }
        _modify {
            precondition(i >= 0 && i < count, "index out of range")
            yield &segments[i >> Self.segmentShift][i & (Self.segmentSize - 1)]
        }
    }

    /// Calls `body` with element `i` where it lies (reading it through the subscript may copy it).
    @inline(__always)
    func withElement<R>(_ i: Int, _ body: (borrowing Element) throws -> R) rethrows -> R {
        precondition(i >= 0 && i < count, "index out of range")
        return try segments[i >> Self.segmentShift].withUnsafeBufferPointer { try body($0[i & (Self.segmentSize - 1)]) }
    }

    mutating func append(_ element: Element) {
        if count & (Self.segmentSize - 1) == 0 {
            // The first segment grows as an array does (a small campaign stays small); later
            // ones are made whole at once.
            var segment: [Element] = []
            if count > 0 { segment.reserveCapacity(Self.segmentSize) }
            segments.append(segment)
        }
        segments[segments.count - 1].append(element)
        count += 1
    }
}

extension SegmentedArray: Sendable where Element: Sendable {}
