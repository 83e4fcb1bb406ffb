"""Static files for production: whitenoise's compressed, hashed storage, except that
``sourceMappingURL`` comments are left as they are. The vendored Bootstrap names
source maps it does not ship, and Django's storage refuses to collect a file whose
map is missing; without the map the comment is harmless."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns):
    def pattern_text(pattern):
        return pattern if isinstance(pattern, str) else pattern[0]

    return tuple(
        (glob, tuple(p for p in rules if "sourceMappingURL" not in pattern_text(p)))
        for glob, rules in patterns
    )


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)
