/// The built-in projections (contact state, campaign status, metrics) as builds name them:
/// `BuildSummary.projection`, and what `Ledger.rebuild(projection:)` takes by default. Their
/// `rulesID` changes whenever the rules change, so stores know their builds were made by other
/// rules.
public enum BuiltInProjection {
    /// The name of the built-in projection set in `builds` (custom projections have their own).
    public static let name = "campaigns"
    /// The version of the rules (`projectionVersion` in answers).
    public static let version = 1
    /// The rules of this library's built-in projections.
    public static let rulesID = "campaign-projections/domain-2026-11"
}
