#!/bin/bash
# verify.sh [VECTORDIR...] - re-check stored SCEP vectors with openssl only (no clients, no network).
# Default: every directory next to tools/ that has a meta.json. For each vector:
#   request.der: signature verifies; envelope decrypts with ca.key.pem (legacy provider for DES);
#                messageType / transactionID / senderNonce match meta.json; the CSR self-signature
#                verifies and carries client.key.pem; for GET, meta.getQuery decodes to request.der;
#   response:    signature verifies against ca.crt.pem; SUCCESS envelopes decrypt with the signer
#                key (meta.signerKeyFile) and contain issued.crt.pem;
#   issued.crt.pem verifies against ca.crt.pem and carries the CSR's key.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then set -- $(for m in "$here"/../*/meta.json; do dirname "$m"; done); fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0
attr() {
  local l; l=$(awk -v o=":$2" '$0 ~ / OBJECT / && $NF == o { getline; getline; print; exit }' "$1")
  case "$l" in *"[HEX DUMP]:"*) printf '%s' "${l#*\[HEX DUMP\]:}" | tr 'A-F' 'a-f';; *) sed -E 's/^.*prim: +[A-Z0-9 ]*[A-Z0-9] *://' <<<"$l";; esac
}
decrypt() { openssl cms -decrypt -binary -inform DER -in "$1" -inkey "$2" -out "$3" 2>/dev/null ||
            openssl cms -decrypt -provider legacy -provider default -binary -inform DER -in "$1" -inkey "$2" -out "$3" 2>/dev/null; }
for v in "$@"; do
  n=$(basename "$v"); bad=()
  m="$v/meta.json"; [ -f "$m" ] || { echo "SKIP $n (no meta.json)"; continue; }
  openssl cms -verify -noverify -binary -inform DER -in "$v/request.der" -out "$tmp/env.der" 2>/dev/null || bad+=("request signature")
  decrypt "$tmp/env.der" "$v/ca.key.pem" "$tmp/content.der" || bad+=("request decrypt")
  openssl asn1parse -inform DER -in "$v/request.der" >"$tmp/req.asn1"
  [ "$(attr "$tmp/req.asn1" 2.16.840.1.113733.1.9.2)" = "$(jq -r .messageType "$m")" ] || bad+=("messageType")
  [ "$(attr "$tmp/req.asn1" 2.16.840.1.113733.1.9.7)" = "$(jq -r .transactionID "$m")" ] || bad+=("transactionID")
  [ "$(attr "$tmp/req.asn1" 2.16.840.1.113733.1.9.5)" = "$(jq -r .senderNonceHex "$m")" ] || bad+=("senderNonce")
  case "$(jq -r .messageType "$m")" in 19|17)
    openssl req -inform DER -in "$tmp/content.der" -noout -verify 2>/dev/null || bad+=("CSR signature")
    [ "$(openssl req -inform DER -in "$tmp/content.der" -noout -pubkey)" = "$(openssl pkey -in "$v/client.key.pem" -pubout)" ] || bad+=("CSR key")
    ;;
  esac
  q=$(jq -r '.getQuery // empty' "$m")
  if [ -n "$q" ]; then
    msg=$(tr '&' '\n' <<<"$q" | sed -n 's/^message=//p')
    b64=$(printf '%b' "${msg//%/\\x}" | tr -d '\n' | tr -- '-_ ' '+/+')
    while [ $(( ${#b64} % 4 )) -ne 0 ]; do b64="$b64="; done
    base64 -d <<<"$b64" >"$tmp/get.der" 2>/dev/null; cmp -s "$tmp/get.der" "$v/request.der" || bad+=("getQuery decode")
  fi
  rf=$(jq -r '.responseFile // empty' "$m")
  if [ -n "$rf" ]; then
    openssl cms -verify -inform DER -in "$v/$rf" -CAfile "$v/ca.crt.pem" -purpose any -binary -out "$tmp/renv.der" 2>/dev/null || bad+=("response signature")
    if [ "$(jq -r .responsePkiStatus "$m")" = 0 ]; then
      decrypt "$tmp/renv.der" "$v/$(jq -r .signerKeyFile "$m")" "$tmp/certs.der" || bad+=("response decrypt")
      openssl pkcs7 -inform DER -in "$tmp/certs.der" -print_certs 2>/dev/null | grep -q "$(openssl x509 -in "$v/issued.crt.pem" -noout -subject | sed 's/^subject=//')" || bad+=("issued cert not in response")
    fi
  fi
  if [ -f "$v/issued.crt.pem" ]; then
    openssl verify -CAfile "$v/ca.crt.pem" "$v/issued.crt.pem" >/dev/null 2>&1 || bad+=("issued cert chain")
    [ "$(openssl x509 -in "$v/issued.crt.pem" -noout -pubkey)" = "$(openssl pkey -in "$v/client.key.pem" -pubout)" ] || bad+=("issued cert key")
  fi
  if [ ${#bad[@]} -eq 0 ]; then echo "OK   $n"; else echo "FAIL $n: ${bad[*]}"; fails=$((fails+1)); fi
done
exit $fails
