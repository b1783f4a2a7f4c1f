#include <switchboard/version.hpp>

#include <cstdio>

int main() {
    std::printf("switchboard %s\n", sb::version_string);
    return 0;
}
