import Foundation

/// The one rendering of a rate for people, shared by the CLI's tables and the HTML report.
package enum PercentText {
    /// A ratio as a percentage with one decimal and a space before the sign (`0.75` → `75.0 %`),
    /// or `–` when there is none.
    package static func of(_ ratio: Double?) -> String {
        guard let ratio, ratio.isFinite else { return "–" }
        return String(format: "%.1f %%", ratio * 100)
    }
}
