-- AlterTable
ALTER TABLE "AddeRoute" ADD COLUMN     "externalScepProfileId" TEXT;

-- AddForeignKey
ALTER TABLE "AddeRoute" ADD CONSTRAINT "AddeRoute_externalScepProfileId_fkey" FOREIGN KEY ("externalScepProfileId") REFERENCES "ExternalScepProfile"("id") ON DELETE SET NULL ON UPDATE CASCADE;
