#error "switchboard core header pulled in httplib.h: only include/switchboard/transport/ may include it"
