// What `mapsleuth --version` prints: the release and the git commit the
// executable was built from (cli/GitCommit.cmake).
#pragma once

namespace ms {

// "mapsleuth 0.1.0 (git e5e0cfa)"; "(git e5e0cfa-dirty)" with local
// changes, "(git unknown)" when built outside a git checkout.
const char *versionText();

} // namespace ms
