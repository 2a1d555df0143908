import Foundation
import LedgerFuzzTargets

#if LEDGER_LIBFUZZER
// Built with `-sanitize=fuzzer,address -D LEDGER_LIBFUZZER` (tools/fuzz.sh --libfuzzer): this
// `main` hands the arguments to libFuzzer's driver (SwiftPM names an executable's entry point
// itself, so libFuzzer's own `main` is not the one linked). The target is named by the
// environment variable LEDGER_FUZZ_TARGET. A broken invariant aborts: libFuzzer saves the input.

/// libFuzzer's entry point for a program with its own `main` (compiler-rt, FuzzerInterface.h).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

nonisolated(unsafe) private var target = FuzzTarget.importLine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    do {
        try target.run(bytes)
    } catch {
        FileHandle.standardError.write(Data("LedgerFuzz: \(target.rawValue): invariant broken: \(error)\n".utf8))
        abort()
    }
    return 0
}

@main
struct LedgerFuzz {
    static func main() {
        let name = ProcessInfo.processInfo.environment["LEDGER_FUZZ_TARGET"] ?? ""
        guard let named = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("LedgerFuzz: set LEDGER_FUZZ_TARGET to one of \(names) (given: \"\(name)\")\n".utf8))
            exit(64)
        }
        target = named
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
    }
}
#else
// Built without the fuzzer (`swift build`): replays inputs, e.g. a crash libFuzzer saved,
// without sanitizers: `LedgerFuzz TARGET FILE…` checks each file; exit 1 when one breaks an
// invariant. `LedgerFuzz --list` prints the targets.

@main
struct LedgerFuzz {
    static func main() {
        let args = CommandLine.arguments.dropFirst()
        if args.first == "--list" {
            for t in FuzzTarget.allCases { print(t.rawValue) }
            return
        }
        guard let name = args.first, let target = FuzzTarget(rawValue: name), args.count > 1 else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("usage: LedgerFuzz TARGET FILE… (targets: \(names)) | LedgerFuzz --list\n".utf8))
            exit(64)
        }
        var broken = 0
        for path in args.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("\(path): cannot read\n".utf8))
                exit(66)
            }
            do {
                try target.run([UInt8](data))
                print("\(path): ok")
            } catch {
                print("\(path): invariant broken: \(error)")
                broken += 1
            }
        }
        exit(broken == 0 ? 0 : 1)
    }
}
#endif
