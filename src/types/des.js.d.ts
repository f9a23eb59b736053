// Minimal typing for des.js 1.1 (pure-JS DES), used only for single DES-CBC.
declare module "des.js" {
  interface DesCipher {
    update(data: ArrayLike<number>): number[];
    final(): number[];
  }
  interface CbcMode {
    create(options: { type: "encrypt" | "decrypt"; key: ArrayLike<number>; iv: ArrayLike<number>; padding?: boolean }): DesCipher;
  }
  const des: {
    DES: unknown;
    CBC: { instantiate(base: unknown): CbcMode };
  };
  export default des;
}
