import Glibc
import Tasks

/// The plain words `validate`, `plan` and `run` print when OpenRouter's model lists are not
/// at hand and their checks are weaker than usual.
enum CatalogNotice {
    /// The warning for a run without any model list: what was not checked, and the fix.
    static func weaker(reason: String) -> String {
        "warning: \(reason): checks were weaker — model names, what each model can do (modalities, "
            + "aspect ratio and resolution, voices) and prices were not checked against OpenRouter; "
            + "built-in rules were used instead. Run `mediabatch models` when online."
    }

    /// How old a cached catalog is, in words ("3 h", "2 d").
    static func age(_ catalog: ModelCatalog) -> String {
        let seconds = max(0, Int(time(nil)) - catalog.fetched)
        if seconds < 7200 { return "\(seconds / 60) min" }
        if seconds < 172_800 { return "\(seconds / 3600) h" }
        return "\(seconds / 86400) d"
    }
}
