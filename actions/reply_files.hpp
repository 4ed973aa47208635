// The files in a model's reply, written as ChatDev asks for them: a line naming the file,
// then its code in a fenced block ("main.py\n```python\nCODE\n```"). Used by the chat
// phases that write code (ChatDev's coding, completion, modification and environment
// phases) and by the ChatDev importer, which reads its logs the same way.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agentco {

// Path and text of each file, as ChatDev's Codes class reads them: the file name is the
// last word.ext before the fence ("main.py" when the code holds "__main__" (ChatDev's
// reading, keep_blank_lines false, or when no name is given), the last class
// name + ".py" when no name is given); a later block for the same name replaces an earlier
// one; a block holding the word CODE (the format's own example) is skipped. ChatDev drops
// blank lines (keep_blank_lines false); our phases keep them.
std::vector<std::pair<std::string, std::string>> files_in_reply(std::string_view reply, bool keep_blank_lines);

}  // namespace agentco
