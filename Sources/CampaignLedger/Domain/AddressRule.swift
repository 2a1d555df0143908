/// The address rule of domain.md §5: after removing U+0020 spaces (not tabs), `-`, `(`, `)` and
/// `.`, an address must match `^\+?[0-9]{6,15}$`; otherwise the contact is an `invalid_record`.
package enum AddressRule {
    /// Nil when the address is dialable, else a reason text saying what is wrong with it.
    package static func problem(_ address: String) -> String? { problem(utf8: address.utf8) }

    /// `problem` of an address's UTF-8 bytes.
    static func problem(utf8 address: some Sequence<UInt8>) -> String? {
        var cleaned = 0
        var digits = 0
        var plus = false
        var other = false
        for b in address {
            switch b {
            case 0x20, UInt8(ascii: "-"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "."):
                continue
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits += 1
            case UInt8(ascii: "+") where cleaned == 0:
                plus = true
            default:
                other = true
            }
            cleaned += 1
        }
        if cleaned == 0 { return "empty phone number" }
        if other || (plus && digits == 0) {
            return "phone number contains letters or special characters"
        }
        if digits < 6 || digits > 15 {
            return "phone number has \(digits) digits, 6 to 15 expected"
        }
        return nil
    }
}
