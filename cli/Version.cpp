#include "cli/Version.h"

#include "GitCommit.h" // generated in the build tree

namespace ms {

const char *versionText() {
  return "mapsleuth " MAPSLEUTH_VERSION " (git " MAPSLEUTH_GIT_COMMIT ")";
}

} // namespace ms
